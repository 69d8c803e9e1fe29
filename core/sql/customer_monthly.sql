-- customer_monthly (orders): one row per customer and month with what their orders add to
-- the inputs of their month-end ratings, for the customers in customers (customer_no: their
-- rowid there, a number to index them by). core/monthly.py rolls these rows over the month
-- ends from $first_end to $last_end into the inputs customer_features has when the month end
-- is its as-of date (revenue, revenue_12m, margin_12m, recency_days, count_purchase_days,
-- tenure_days) and core.stars rates them: one rule for the as-of date and every month end,
-- so no score, rank or star is computed here. tests/core/test_star_rules.py compares the
-- rolled inputs (and their ratings) with customer_features built as of each month end.
-- Orders as staged, every version (stg_orders versions, see core/sql/__init__.py): an
-- order sits on its first day, and each month end sees the version valid at the end of that
-- day, so a refund line dated after a month end is not seen at it. Nearly every order has
-- one value at every month end that sees it (its lines come by the end of its first month,
-- or by $first_end): these steady orders are summed once by the month they fall in, and
-- count at that month's end and every later one:
--   revenue, margin       their net value and margin, in millionths: exact integers, so that
--                         a sum over months does not depend on the order it is taken in
--                         (each order's round(amount x 10^6), the integer DuckDB's cast of
--                         the amount to decimal(38, 6) holds);
--   count_costed          those with a cost (margin is null when none has one);
--   purchase_days         the purchase days they make in the month; last_purchase_on the
--                         last of them.
-- Only the changing orders (a later line in a later rated month) are seen at each rated month
-- end as they stood that day; what they add at that month end alone is in the end_* columns:
--   end_revenue, end_revenue_12m, end_margin_12m (millionths), end_count_costed_12m;
--   end_purchase_days     the days they make purchase days that no steady order makes one;
--   end_last_purchase_on  their last purchase day;
-- and, in end_revenue_12m, end_margin_12m and end_count_costed_12m, the steady orders of the
-- head of a month end's 12 months (from the day after the same day a year before, as
-- stg_windows says) that comes before its first whole month: 29 February in the 12 months to
-- 28 February of the year after a leap year.
-- The steady orders are summed by customer number and day, then by month (no distinct
-- count, no decimal arithmetic: at 1M customers these two passes are most of the query).
-- Parameters: $first_end, $last_end (month ends).
with

customers as (
    select rowid as customer_no, customer_id from customers
),

order_versions as (
    -- every version known by the last month end (valid_to null: still valid then), money in
    -- millionths
    select
        customer_id,
        order_key,
        ordered_on,
        round(amount * 1000000)::bigint as amount,
        round(margin * 1000000)::bigint as margin,
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
    select c.customer_no, v.customer_id, v.ordered_on, v.amount, v.margin, v.is_purchase
    from order_versions as v
    join customers as c on c.customer_id = v.customer_id
    anti join changing_orders as o
        on o.customer_id = v.customer_id and o.order_key = v.order_key
    where v.valid_to is null
),

month_ends as (
    -- the rated month ends
    select last_day(m)::date as month_end
    from range(
        date_trunc('month', $first_end::date), $last_end::date + interval 1 day, interval 1 month
    ) as r(m)
),

changing_order_versions as materialized (
    -- every version of the changing orders (few: kept apart so that only they meet the month
    -- ends)
    select v.*
    from order_versions as v
    semi join changing_orders as c on c.customer_id = v.customer_id and c.order_key = v.order_key
),

changing_versions as (
    -- a changing order at each rated month end, as its version valid that day
    select v.customer_id, m.month_end, v.ordered_on, v.amount, v.margin, v.is_purchase
    from changing_order_versions as v
    join month_ends as m
        on v.valid_from <= m.month_end and (m.month_end < v.valid_to or v.valid_to is null)
),

fixed_purchase_days as (
    -- the purchase days the steady orders make, of the customers with a changing order
    select distinct customer_id, ordered_on
    from orders
    where is_purchase and customer_id in (select customer_id from changing_orders)
),

changing_months as (
    -- what the changing orders add at a month end; a day a steady order makes a purchase
    -- day is counted there already
    select
        v.customer_id,
        v.month_end,
        sum(v.amount) as revenue,
        sum(v.amount) filter (where v.ordered_on > v.month_end - interval 1 year) as revenue_12m,
        sum(v.margin) filter (where v.ordered_on > v.month_end - interval 1 year) as margin_12m,
        count(v.margin) filter (where v.ordered_on > v.month_end - interval 1 year)
            as count_costed_12m,
        count(distinct v.ordered_on) filter (where v.is_purchase and p.ordered_on is null)
            as purchase_days,
        max(v.ordered_on) filter (where v.is_purchase) as last_purchase_on
    from changing_versions as v
    left join fixed_purchase_days as p
        on p.customer_id = v.customer_id and p.ordered_on = v.ordered_on
    group by all
),

window_heads as (
    -- the days of a month end's 12 months that come before its first whole month, one row
    -- each (joined to the orders on the day: a range join sorted every order)
    select h.month_end, d.head_day::date as head_day
    from (
        select
            month_end,
            (month_end - interval 1 year + interval 1 day)::date as first_day,
            date_trunc('month', month_end - interval 11 month)::date as first_whole_day
        from month_ends
    ) as h,
        unnest(range(h.first_day, h.first_whole_day, interval 1 day)) as d(head_day)
),

window_head_orders as (
    select
        o.customer_id,
        h.month_end,
        sum(o.amount) as revenue,
        sum(o.margin) as margin,
        count(o.margin) as count_costed
    from window_heads as h
    join orders as o on o.ordered_on = h.head_day
    group by all
),

month_end_additions as (
    select
        customer_id,
        month_end,
        v.revenue as end_revenue,
        coalesce(v.revenue_12m, 0) + coalesce(h.revenue, 0) as end_revenue_12m,
        coalesce(v.margin_12m, 0) + coalesce(h.margin, 0) as end_margin_12m,
        coalesce(v.count_costed_12m, 0) + coalesce(h.count_costed, 0) as end_count_costed_12m,
        v.purchase_days as end_purchase_days,
        v.last_purchase_on as end_last_purchase_on
    from changing_months as v
    full join window_head_orders as h using (customer_id, month_end)
),

steady_days as (
    select
        customer_no,
        ordered_on,
        sum(amount) as revenue,
        sum(margin) as margin,
        count(margin) as count_costed,
        bool_or(is_purchase) as is_purchase_day
    from orders
    group by all
),

steady_months as (
    select
        customer_no,
        last_day(ordered_on) as month_end,
        sum(revenue) as revenue,
        sum(margin) as margin,
        sum(count_costed) as count_costed,
        count(*) filter (where is_purchase_day) as purchase_days,
        max(ordered_on) filter (where is_purchase_day) as last_purchase_on
    from steady_days
    group by all
),

numbered_additions as (
    select c.customer_no, a.* exclude (customer_id)
    from month_end_additions as a
    join customers as c using (customer_id)
),

final as (
    select
        customer_no,
        month_end,
        s.revenue::bigint as revenue,
        s.margin::bigint as margin,
        s.count_costed::bigint as count_costed,
        s.purchase_days,
        s.last_purchase_on,
        a.end_revenue::bigint as end_revenue,
        a.end_revenue_12m::bigint as end_revenue_12m,
        a.end_margin_12m::bigint as end_margin_12m,
        a.end_count_costed_12m,
        a.end_purchase_days,
        a.end_last_purchase_on
    from steady_months as s
    full join numbered_additions as a using (customer_no, month_end)
)

select * from final
