-- cohort_retention: one row per sign-up-month cohort (from $start_month to the as-of
-- month) and month since sign-up (0 = the sign-up month) that has begun by the as-of
-- date: the cohort's size, how many of its customers bought in that month and their
-- revenue (net of refunds), and the cohort's revenue in month 0.
-- Today's knowledge by period, not a history of what was known at each month end: orders
-- as known at the as-of date (stg_orders as of $as_of), each in the month of its first
-- line with its net value then. A refund line dated in a later month restates the month
-- of the sale: that month's revenue is net of it, and an order whose later lines take its
-- net value below zero no longer makes its customer a buyer of that month. A cohort's
-- retention is what its customers kept buying, so what they returned since does not count.
-- (lifecycle_history.sql is the history: each month end as it was known that day.)
-- Parameters: $as_of (date), $start_month (date, first of a month).
with

customers as (
    select customer_id, date_trunc('month', signed_up_at)::date as cohort
    from customers
    where signed_up_at >= $start_month::date and signed_up_at < $as_of::date + interval 1 day
),

orders as (
    select * from {{ stg_orders }}
    where ordered_at >= $start_month::date
),

sizes as (
    select cohort, count(*) as cohort_size
    from customers
    group by cohort
),

grid as (
    select
        s.cohort,
        s.cohort_size,
        m.months_since_signup::integer as months_since_signup
    from sizes as s,
        range(0, date_diff('month', s.cohort, $as_of::date) + 1) as m(months_since_signup)
),

activity as (
    select
        c.cohort,
        date_diff('month', c.cohort, o.ordered_on) as months_since_signup,
        count(distinct o.customer_id) filter (where o.is_purchase) as buyers,
        sum(o.amount) as revenue
    from orders as o
    inner join customers as c on c.customer_id = o.customer_id
    where o.ordered_at >= c.cohort
    group by all
),

final as (
    select
        g.cohort,
        g.months_since_signup,
        g.cohort_size,
        coalesce(a.buyers, 0) as buyers,
        coalesce(a.revenue, 0) as revenue,
        coalesce(first_value(a.revenue) over (
            partition by g.cohort order by g.months_since_signup
        ), 0) as revenue_month_0
    from grid as g
    left join activity as a
        on a.cohort = g.cohort and a.months_since_signup = g.months_since_signup
)

select * from final
order by cohort, months_since_signup
