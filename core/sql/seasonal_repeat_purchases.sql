-- seasonal_repeat_purchases: one row per calendar month from the month of the first purchase
-- to the month of the as-of date: the repeat purchase days in it (a customer's purchase days
-- after their first), the customers whose first purchase was before the month
-- (count_customers_before) and those whose first purchase was in it (count_new_customers).
-- Purchase days as staged (stg_purchase_days), known at the end of the as-of day, on or
-- before it: the seasonal index learns from the calibration period only.
-- Parameters: $as_of (date).
with

purchase_days as (
    select customer_id, purchased_on
    from {{ stg_purchase_days }}
    where purchased_on <= $as_of::date
),

firsts as (
    select customer_id, min(purchased_on) as first_purchased_on
    from purchase_days
    group by customer_id
),

repeats as (
    select
        date_trunc('month', p.purchased_on)::date as month_start,
        count(*) as count_repeat_days
    from purchase_days as p
    inner join firsts as f on f.customer_id = p.customer_id
    where p.purchased_on > f.first_purchased_on
    group by 1
),

acquired as (
    select
        date_trunc('month', first_purchased_on)::date as month_start,
        count(*) as count_new_customers
    from firsts
    group by 1
),

months as (
    select m::date as month_start
    from range(
        (select date_trunc('month', min(first_purchased_on)) from firsts)::timestamp,
        $as_of::date + 1,
        interval 1 month
    ) as t(m)
),

final as (
    select
        m.month_start,
        coalesce(r.count_repeat_days, 0) as count_repeat_days,
        coalesce(
            sum(coalesce(a.count_new_customers, 0)) over (
                order by m.month_start rows between unbounded preceding and 1 preceding
            ),
            0
        ) as count_customers_before,
        coalesce(a.count_new_customers, 0) as count_new_customers
    from months as m
    left join repeats as r on r.month_start = m.month_start
    left join acquired as a on a.month_start = m.month_start
)

select * from final
order by month_start
