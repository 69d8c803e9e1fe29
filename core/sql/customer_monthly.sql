-- customer_monthly (features): one row per customer and month end from $first_end to
-- $last_end, for the customers signed up and with a purchase by that month end (the ones
-- rated then, as customer_features rates them on its as-of date), with the inputs of their
-- rating on that day. The rating itself is core.stars' (`build_customer_monthly`): one
-- rule for the as-of date and every month end, so no score, rank or star is computed here.
--   revenue              net value of all orders to the month end (RFM's M);
--   revenue_12m          net value of the orders of the 12 months to the month end (from
--                        the day after the same day a year before, as stg_windows says);
--   margin_12m           their margin (null when none of them carries a cost);
--   recency_days         days from the last purchase to the month end (RFM's R);
--   count_purchase_days  purchase days to the month end (RFM's F);
--   tenure_days          days from sign-up to the month end.
-- These are customer_features' columns of the same names as they would be with the month end
-- as the as-of date: tests/core/test_star_rules.py compares them (and their ratings) with
-- customer_features built as of each month end, on fixtures whose later lines of an order
-- cross a month end, reading the staging tables and deriving from the lines.
-- Only these exist at a month end: the models (predicted CLV, P(alive)) and the
-- relationship inputs (touchpoints, CSAT, referrals, open complaints) are computed for the
-- build's as-of date alone, so core.stars rates month ends on three dimensions with their
-- fallbacks (see `month_end_rules` there).
-- Orders as staged, every version (stg_orders versions, see core/sql/__init__.py):
-- an order sits on its first day, and each month end sees the version valid at the end of
-- that day, so a refund line dated after a month end is not seen at it. Nearly every order
-- has one value at every month end that sees it (its lines come by the end of its first
-- month, or by $first_end): those are summed once by month and rolled over the months. Only
-- the changing orders (a later line in a later rated month) are joined to each month end,
-- and added to what the rest give; a purchase day counts once whichever orders make it.
-- Money is summed as decimals, so that a value does not depend on the order it is summed in.
-- Parameters: $first_end, $last_end (month ends).
with

customers as (
    select customer_id, signed_up_at::date as signed_up_on from customers
),

order_versions as (
    -- every version known by the last month end (valid_to null: still valid then)
    select
        customer_id,
        order_key,
        ordered_on,
        amount,
        margin,
        is_purchase,
        valid_from,
        case when valid_to <= $last_end::date then valid_to end as valid_to
    from {{ stg_orders versions }}
    where valid_from <= $last_end::date
),

changing_orders as (
    -- the orders whose value changes after a rated month end that sees them: their last
    -- version starts after both the end of their first month and $first_end
    select customer_id, order_key
    from order_versions
    where valid_to is null and valid_from > greatest(last_day(ordered_on), $first_end::date)
),

orders as (
    -- every other order, with the one value each month end that sees it sees
    select v.customer_id, v.ordered_on, v.amount, v.margin, v.is_purchase
    from order_versions as v
    anti join changing_orders as c
        on c.customer_id = v.customer_id and c.order_key = v.order_key
    where v.valid_to is null
),

month_ends as (
    select last_day(m)::date as month_end
    from range(
        date_trunc('month', $first_end::date - interval 11 month),
        $last_end::date + interval 1 day,
        interval 1 month
    ) as r(m)
),

changing_versions as (
    -- a changing order at each month end from $first_end on, as its version valid that day
    select v.customer_id, m.month_end, v.ordered_on, v.amount, v.margin, v.is_purchase
    from order_versions as v
    join changing_orders as c on c.customer_id = v.customer_id and c.order_key = v.order_key
    join month_ends as m
        on
            m.month_end >= $first_end::date
            and v.valid_from <= m.month_end
            and (m.month_end < v.valid_to or v.valid_to is null)
),

fixed_purchase_days as (
    -- the purchase days the other orders make, of the customers with a changing order
    select distinct customer_id, ordered_on
    from orders
    where is_purchase and customer_id in (select customer_id from changing_orders)
),

changing_months as (
    -- what the changing orders add at a month end; the 12 months as in stg_windows (from
    -- the day after the same day a year before); a day another order makes a purchase day
    -- is counted there already
    select
        v.customer_id,
        v.month_end,
        sum(v.amount::decimal(38, 6)) as revenue,
        sum(v.amount::decimal(38, 6)) filter (where v.ordered_on > v.month_end - interval 1 year)
            as revenue_12m,
        sum(v.margin::decimal(38, 6)) filter (where v.ordered_on > v.month_end - interval 1 year)
            as margin_12m,
        count(distinct v.ordered_on) filter (where v.is_purchase and p.ordered_on is null)
            as purchase_days,
        max(v.ordered_on) filter (where v.is_purchase) as last_purchase_on
    from changing_versions as v
    left join fixed_purchase_days as p
        on p.customer_id = v.customer_id and p.ordered_on = v.ordered_on
    group by all
),

grid_start as (
    select
        min(month_end) as first_end,
        min(month_end) - interval 1 month + interval 1 day as first_day
    from month_ends
),

window_heads as (
    -- the days of a month end's 12 months (as in stg_windows: from the day after the same
    -- day a year before) that come before its first whole month: 29 February in the 12
    -- months to 28 February of the year after a leap year, else none
    select
        month_end,
        (month_end - interval 1 year + interval 1 day)::date as first_day,
        date_trunc('month', month_end - interval 11 month)::date as first_whole_day
    from month_ends
    where
        month_end >= $first_end::date
        and month_end - interval 1 year + interval 1 day
        < date_trunc('month', month_end - interval 11 month)
),

window_head_orders as (
    select
        o.customer_id,
        h.month_end,
        sum(o.amount::decimal(38, 6)) as revenue,
        sum(o.margin::decimal(38, 6)) as margin
    from window_heads as h
    join orders as o on o.ordered_on >= h.first_day and o.ordered_on < h.first_whole_day
    group by all
),

customer_months as (
    select
        o.customer_id,
        last_day(o.ordered_on)::date as month_end,
        sum(o.amount::decimal(38, 6)) as revenue,
        sum(o.margin::decimal(38, 6)) as margin,
        count(distinct o.ordered_on) filter (where o.is_purchase) as purchase_days,
        max(o.ordered_on) filter (where o.is_purchase) as last_purchase_on
    from orders as o, grid_start as g
    where o.ordered_on >= g.first_day
    group by all
),

before_grid as (
    select
        o.customer_id,
        sum(o.amount::decimal(38, 6)) as revenue,
        count(distinct o.ordered_on) filter (where o.is_purchase) as purchase_days,
        max(o.ordered_on) filter (where o.is_purchase) as last_purchase_on
    from orders as o, grid_start as g
    where o.ordered_on < g.first_day
    group by all
),

first_months as (
    select customer_id, min(month_end) as first_month_end
    from (
        select customer_id, month_end from customer_months
        union all
        select b.customer_id, g.first_end from before_grid as b, grid_start as g
        union all
        select customer_id, $first_end::date from changing_orders
    )
    group by customer_id
),

dense as (
    select
        f.customer_id,
        m.month_end,
        coalesce(cm.revenue, 0) as revenue,
        cm.margin,
        coalesce(cm.purchase_days, 0) as purchase_days,
        cm.last_purchase_on
    from first_months as f
    join month_ends as m on m.month_end >= f.first_month_end
    left join customer_months as cm
        on cm.customer_id = f.customer_id and cm.month_end = m.month_end
),

rolled as (
    select
        d.customer_id,
        d.month_end,
        coalesce(b.revenue, 0) + sum(d.revenue) over wall as revenue,
        sum(d.revenue) over w12 as revenue_12m,
        sum(d.margin) over w12 as margin_12m,
        coalesce(b.purchase_days, 0) + sum(d.purchase_days) over wall as count_purchase_days,
        coalesce(max(d.last_purchase_on) over wall, b.last_purchase_on) as last_purchase_on
    from dense as d
    left join before_grid as b on b.customer_id = d.customer_id
    window
        w12 as (partition by d.customer_id order by d.month_end rows 11 preceding),
        wall as (partition by d.customer_id order by d.month_end rows unbounded preceding)
),

final as (
    select
        r.month_end,
        r.customer_id,
        (r.revenue + coalesce(v.revenue, 0))::double as revenue,
        (r.revenue_12m + coalesce(h.revenue, 0) + coalesce(v.revenue_12m, 0))::double
            as revenue_12m,
        (
            case
                when coalesce(r.margin_12m, h.margin, v.margin_12m) is not null
                    then
                        coalesce(r.margin_12m, 0)
                        + coalesce(h.margin, 0)
                        + coalesce(v.margin_12m, 0)
            end
        )::double as margin_12m,
        date_diff('day', greatest(r.last_purchase_on, v.last_purchase_on), r.month_end)
            as recency_days,
        (r.count_purchase_days + coalesce(v.purchase_days, 0))::bigint as count_purchase_days,
        date_diff('day', c.signed_up_on, r.month_end) as tenure_days
    from rolled as r
    join customers as c on c.customer_id = r.customer_id
    left join window_head_orders as h
        on h.customer_id = r.customer_id and h.month_end = r.month_end
    left join changing_months as v
        on v.customer_id = r.customer_id and v.month_end = r.month_end
    where
        r.month_end >= $first_end::date
        and r.count_purchase_days + coalesce(v.purchase_days, 0) > 0
        and c.signed_up_on <= r.month_end
)

select * from final
order by month_end
