-- channel_payback: one row per acquisition channel ('unknown' when none is recorded) and
-- month since sign-up (0 = the sign-up month, up to $months - 1) that some customers have
-- completed by the as-of date: how many customers have completed it and the revenue and
-- margin they made in it (margin null where that month's orders carry no cost; both 0 in a
-- month without orders). Only complete calendar months count, so recent customers do not
-- pull the averages down. Orders as staged (stg_orders as of the as-of date): an order's net
-- value (a later refund line included) counts in the month of its first line.
-- Parameters: $as_of (date), $months.
with

customers as (
    select
        customer_id,
        coalesce(acquisition_channel, 'unknown') as channel,
        date_trunc('month', signed_up_at)::date as cohort,
        date_diff('month', signed_up_at::date, $as_of::date) as months_completed
    from customers
    where signed_up_at < $as_of::date + interval 1 day
),

orders as (
    select * from {{ stg_orders }}
    where ordered_at < date_trunc('month', $as_of::date)
),

completions as (
    select channel, months_completed, count(*) as customers
    from customers
    where months_completed > 0
    group by all
),

exposure as (
    select c.channel, m.months_since_signup::integer as months_since_signup, sum(c.customers)
        as customers
    from completions as c, range(0, $months) as m(months_since_signup)
    where m.months_since_signup < c.months_completed
    group by all
),

values_made as (
    select
        c.channel,
        date_diff('month', c.cohort, o.ordered_on) as months_since_signup,
        sum(o.amount) as revenue,
        sum(o.margin) as margin
    from orders as o
    inner join customers as c on c.customer_id = o.customer_id
    where o.ordered_at >= c.cohort
    group by all
),

final as (
    select
        e.channel,
        e.months_since_signup,
        e.customers,
        coalesce(m.revenue, 0) as revenue,
        case when m.channel is null then 0 else m.margin end as margin
    from exposure as e
    left join values_made as m
        on m.channel = e.channel and m.months_since_signup = e.months_since_signup
)

select * from final
order by channel, months_since_signup
