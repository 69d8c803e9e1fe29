-- customer_features: one row per customer signed up by the as-of date, with what they
-- bought up to and including that date. Orders and purchase days as staged
-- (stg_orders, stg_purchase_days): count_orders counts orders (not refunds: net value >= 0),
-- revenue and margin are net of refunds, avg_order_value = revenue / orders (null without
-- an order), count_refunds = refund-only orders; margin is null without costs; the 12
-- months are stg_windows' current period. Money is summed as decimals (staging keeps 6
-- decimals) and cast back to double: a sum of doubles depends on the order DuckDB's threads
-- add the row groups in, and a last-bit difference can tie or untie two customers' ranks.
-- Parameters: $as_of (date).
with

customers as (
    select * from customers
    where signed_up_at < $as_of::date + interval 1 day
),

orders as (
    select * from {{ stg_orders }}
),

purchase_days as (
    select * from {{ stg_purchase_days }}
),

windows as (
    select * from {{ stg_windows }}
),

purchases as (
    select
        o.customer_id,
        min(o.ordered_at) filter (where o.is_purchase) as first_purchase_at,
        max(o.ordered_at) filter (where o.is_purchase) as last_purchase_at,
        count(*) filter (where o.is_purchase) as count_orders,
        count(*) filter (where o.is_refund) as count_refunds,
        sum(o.amount::decimal(38, 6))::double as revenue,
        sum(o.margin::decimal(38, 6))::double as margin,
        sum(o.amount::decimal(38, 6)) filter (where o.ordered_at >= w.current_start)::double
            as revenue_12m,
        sum(o.margin::decimal(38, 6)) filter (where o.ordered_at >= w.current_start)::double
            as margin_12m,
        count(*) filter (where o.is_purchase and o.ordered_at >= w.current_start)
            as count_orders_12m
    from orders as o, windows as w
    group by o.customer_id
),

days as (
    select customer_id, count(*) as count_purchase_days
    from purchase_days
    group by customer_id
),

final as (
    select
        c.customer_id,
        c.signed_up_at,
        c.acquisition_channel,
        c.acquisition_cost,
        c.region,
        c.city,
        c.referred_by,
        p.first_purchase_at,
        p.last_purchase_at,
        coalesce(p.count_orders, 0) as count_orders,
        coalesce(d.count_purchase_days, 0) as count_purchase_days,
        coalesce(p.count_refunds, 0) as count_refunds,
        coalesce(p.revenue, 0) as revenue,
        p.margin,
        coalesce(p.revenue_12m, 0) as revenue_12m,
        p.margin_12m,
        coalesce(p.count_orders_12m, 0) as count_orders_12m,
        p.revenue / nullif(p.count_orders, 0) as avg_order_value,
        date_diff('day', c.signed_up_at::date, $as_of::date) as tenure_days,
        date_diff('day', p.last_purchase_at::date, $as_of::date) as recency_days,
        coalesce(p.count_orders, 0) > 0 as is_buyer,
        coalesce(d.count_purchase_days, 0) > 1 as is_repeat,
        $as_of::date as as_of
    from customers as c
    left join purchases as p on p.customer_id = c.customer_id
    left join days as d on d.customer_id = c.customer_id
)

select * from final
