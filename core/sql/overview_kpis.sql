-- overview_kpis: one row of headline figures for the 12 months ending on $as_of and the
-- 12 months before them, and whether the data cover those earlier 12 months (the first
-- transaction on or before their first day): a change is only meaningful then. The periods
-- are stg_windows'; orders and revenue are stg_orders' (stg_trailing_orders: an order is
-- the lines sharing an order_id, a purchase one that nets to 0 or more), purchase days
-- stg_purchase_days' (the days with a purchase).
-- Each `/* and chosen(column) */` becomes a semi-join on the chosen customers when the
-- shared filters are on (core.overview.chosen_query); otherwise it stays a comment.
-- Parameters: $as_of (date).
with

windows as (
    select * from {{ stg_windows }}
),

orders as (
    select * from {{ stg_trailing_orders }}
    where true /* and chosen(customer_id) */
),

purchase_days as (
    select * from {{ stg_purchase_days }}
    where true /* and chosen(customer_id) */
),

per_customer as (
    -- a purchase day is a day with an order that is a purchase (stg_purchase_days), so
    -- these are the days of the period's purchases
    select
        d.customer_id,
        d.purchased_on >= w.current_start::date as is_current,
        count(*) as purchase_days
    from purchase_days as d, windows as w
    where d.purchased_on >= w.previous_start::date
    group by all
),

buyers as (
    select
        is_current,
        count(*) filter (where purchase_days > 0) as active_customers,
        count(*) filter (where purchase_days > 1) as repeat_customers
    from per_customer
    group by all
),

sales as (
    select
        is_current,
        sum(amount) as revenue,
        count(*) filter (where is_purchase) as orders
    from orders
    group by all
),

periods as (
    select
        is_current,
        coalesce(s.revenue, 0) as revenue,
        coalesce(s.orders, 0) as orders,
        coalesce(b.active_customers, 0) as active_customers,
        coalesce(b.repeat_customers, 0) as repeat_customers
    from sales as s
    full join buyers as b using (is_current)
),

first_order as (
    select min(ordered_at)::date as first_ordered_on from main.transactions
),

coverage as (
    select
        w.previous_start::date as previous_start,
        f.first_ordered_on,
        coalesce(f.first_ordered_on <= w.previous_start::date, false) as has_previous
    from windows as w
    cross join first_order as f
),

signups as (
    select
        count(*) filter (where signed_up_at < w.current_end) as customers,
        count(*) filter (where signed_up_at < w.current_start) as customers_previous
    from customers, windows as w
    where true /* and chosen(customer_id) */
),

final as (
    select
        s.customers,
        s.customers_previous,
        coalesce(max(p.active_customers) filter (where p.is_current), 0) as active_customers,
        coalesce(max(p.active_customers) filter (where not p.is_current), 0)
            as active_customers_previous,
        coalesce(max(p.revenue) filter (where p.is_current), 0) as revenue,
        coalesce(max(p.revenue) filter (where not p.is_current), 0) as revenue_previous,
        coalesce(max(p.orders) filter (where p.is_current), 0) as orders,
        coalesce(max(p.orders) filter (where not p.is_current), 0) as orders_previous,
        coalesce(max(p.repeat_customers) filter (where p.is_current), 0) as repeat_customers,
        coalesce(max(p.repeat_customers) filter (where not p.is_current), 0)
            as repeat_customers_previous,
        c.previous_start,
        c.first_ordered_on,
        c.has_previous
    from signups as s
    cross join coverage as c
    left join periods as p on true
    group by all
)

select * from final
