-- customer_monthly: one row per customer with a purchase by the month end, per month end
-- from $first_end to $last_end: their stars and RFM segment on that day.
-- A simplified rating from the transactions alone (the models, satisfaction and
-- engagement of customer_features exist only for the build's as-of date):
--   contribution  percentile rank of revenue over the 12 months to the month end;
--   growth        percentile rank of that revenue x exp(-days since last purchase / 365);
--   loyalty       mean percentile rank of (fewer) days since the last purchase, purchase
--                 days to date and days since sign-up;
--   composite     the rule set's weights over these three (relationship left out, its
--                 weight shared out); stars by the rule set's top shares or thresholds.
-- R and F quintiles and the segment grid as in core/rfm.py. Percentile ranks here use the
-- lowest rank among ties. Orders as staged (stg_orders, cut at $as_of = $last_end): a
-- purchase day is a day with an order that is not a refund (stg_orders.is_purchase).
-- Parameters: $as_of (= $last_end), $first_end, $last_end (month ends),
-- $w_contribution, $w_growth, $w_loyalty, $is_quantile, $shares, $marks (for 5, 4, 3, 2
-- stars), $grid (25 segment names, R-major).
with

customers as (
    select customer_id, signed_up_at::date as signed_up_on from customers
),

transactions as (
    select customer_id, ordered_on, amount, is_purchase
    from {{ stg_orders }}
),

month_ends as (
    select last_day(m)::date as month_end
    from range(
        date_trunc('month', $first_end::date - interval 11 month),
        $last_end::date + interval 1 day,
        interval 1 month
    ) as r(m)
),

grid_start as (
    select min(month_end) - interval 1 month + interval 1 day as first_day from month_ends
),

customer_months as (
    select
        t.customer_id,
        last_day(t.ordered_on)::date as month_end,
        sum(t.amount) as revenue,
        count(distinct t.ordered_on) filter (where t.is_purchase) as purchase_days,
        max(t.ordered_on) filter (where t.is_purchase) as last_purchase_on
    from transactions as t, grid_start as g
    where t.ordered_on >= g.first_day
    group by all
),

before_grid as (
    select
        t.customer_id,
        count(distinct t.ordered_on) filter (where t.is_purchase) as purchase_days,
        max(t.ordered_on) filter (where t.is_purchase) as last_purchase_on
    from transactions as t, grid_start as g
    where t.ordered_on < g.first_day
    group by all
),

first_months as (
    select customer_id, min(month_end) as first_month_end
    from (
        select customer_id, month_end from customer_months where purchase_days > 0
        union all
        select b.customer_id, min(m.month_end)
        from before_grid as b, month_ends as m
        where b.purchase_days > 0
        group by b.customer_id
    )
    group by customer_id
),

dense as (
    select
        f.customer_id,
        m.month_end,
        coalesce(cm.revenue, 0) as revenue,
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
        sum(d.revenue) over w12 as revenue_12m,
        coalesce(b.purchase_days, 0) + sum(d.purchase_days) over wall as purchase_days_to_date,
        coalesce(max(d.last_purchase_on) over wall, b.last_purchase_on) as last_purchase_on
    from dense as d
    left join before_grid as b on b.customer_id = d.customer_id
    window
        w12 as (partition by d.customer_id order by d.month_end rows 11 preceding),
        wall as (partition by d.customer_id order by d.month_end rows unbounded preceding)
),

measured as (
    select
        r.customer_id,
        r.month_end,
        r.revenue_12m,
        r.purchase_days_to_date,
        date_diff('day', r.last_purchase_on, r.month_end) as recency_days,
        date_diff('day', c.signed_up_on, r.month_end) as tenure_days
    from rolled as r
    join customers as c on c.customer_id = r.customer_id
    where r.month_end >= $first_end::date and r.purchase_days_to_date > 0
),

ranked as (
    select
        *,
        count(*) over (partition by month_end) as rated,
        100 * percent_rank() over (partition by month_end order by revenue_12m)
            as contribution,
        100 * percent_rank() over (
            partition by month_end order by revenue_12m * exp(-recency_days / 365.0)
        ) as growth,
        rank() over (partition by month_end order by recency_days desc) as recency_rank,
        rank() over (partition by month_end order by purchase_days_to_date) as frequency_rank,
        100 * percent_rank() over (partition by month_end order by tenure_days) as tenure_pr
    from measured
),

scored as (
    select
        *,
        (
            $w_contribution * contribution
            + $w_growth * growth
            + $w_loyalty * (
                100 * (recency_rank - 1) / greatest(rated - 1, 1)
                + 100 * (frequency_rank - 1) / greatest(rated - 1, 1)
                + tenure_pr
            ) / 3
        ) / nullif($w_contribution + $w_growth + $w_loyalty, 0) as composite,
        1 + 5 * (recency_rank - 1) // rated as r_score,
        1 + 5 * (frequency_rank - 1) // rated as f_score
    from ranked
),

starred as (
    select
        *,
        rank() over (partition by month_end order by coalesce(composite, contribution) desc)
            as score_rank
    from scored
),

final as (
    select
        month_end,
        customer_id,
        (
            case
                when $is_quantile then
                    1
                    + (score_rank <= floor($shares[1] * rated + 1e-9))::int
                    + (score_rank <= floor($shares[2] * rated + 1e-9))::int
                    + (score_rank <= floor($shares[3] * rated + 1e-9))::int
                    + (score_rank <= floor($shares[4] * rated + 1e-9))::int
                else
                    1
                    + (coalesce(composite, contribution) >= $marks[1])::int
                    + (coalesce(composite, contribution) >= $marks[2])::int
                    + (coalesce(composite, contribution) >= $marks[3])::int
                    + (coalesce(composite, contribution) >= $marks[4])::int
            end
        )::tinyint as stars,
        r_score::tinyint as r_score,
        f_score::tinyint as f_score,
        $grid[(r_score - 1) * 5 + f_score] as segment
    from starred
)

select * from final
order by month_end
