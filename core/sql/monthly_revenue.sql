-- monthly_revenue: one row per calendar month from $start_month, or from the first month
-- with a transaction when that is later, to the month of $as_of, including months with no
-- sales (a trend does not start with empty years); orders as stg_orders counts them (the
-- lines sharing an order_id are one order).
-- Today's knowledge by period, not a history of what was known at each month end: orders
-- as known at the as-of date (stg_orders as of $as_of), each in the month of its first
-- line with its net value then. A refund line dated in a later month restates the month
-- of the sale: that month's revenue is net of it, and an order whose later lines take its
-- net value below zero no longer counts among that month's orders and customers. So a
-- closed month's figures can change after it ends (lifecycle_history.sql is the history:
-- each month end as it was known that day).
-- Each `/* and chosen(column) */` becomes a semi-join on the chosen customers when the
-- shared filters are on (core.overview.chosen_query); otherwise it stays a comment.
-- Parameters: $as_of (date), $start_month (date).
with

first_month as (
    select
        least(
            greatest($start_month::date, date_trunc('month', min(ordered_at))::date),
            date_trunc('month', $as_of::date)::date
        ) as month
    from main.transactions
),

months as (
    select unnest(generate_series(
        coalesce(f.month, $start_month::date), $as_of::date, interval 1 month
    ))::date as month
    from first_month as f
),

orders as (
    select * from {{ stg_orders }}
    where ordered_at >= $start_month::date /* and chosen(customer_id) */
),

sales as (
    select
        date_trunc('month', ordered_at)::date as month,
        sum(amount) as revenue,
        count(*) filter (where is_purchase) as orders,
        count(distinct customer_id) filter (where is_purchase) as customers
    from orders
    group by all
),

final as (
    select
        m.month,
        coalesce(s.revenue, 0) as revenue,
        coalesce(s.orders, 0) as orders,
        coalesce(s.customers, 0) as customers,
        m.month = date_trunc('month', $as_of::date)::date
            and $as_of::date < last_day($as_of::date) as is_partial
    from months as m
    left join sales as s using (month)
)

select * from final order by month
