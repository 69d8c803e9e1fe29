-- value_defaults: one row of what the data say about the CLV inputs a user may override,
-- for the 12 months up to the as-of date. margin_rate = (amount - cost) / amount over the
-- orders with a recorded cost (null without costs); retention_rate = share of the
-- customers who bought in the 12 months before those who bought again in them (null
-- without two years of history).
-- Parameters: $as_of (date).
with

windows as (
    select
        $as_of::date + interval 1 day as current_end,
        $as_of::date - interval 1 year + interval 1 day as current_start,
        $as_of::date - interval 2 year + interval 1 day as previous_start
),

orders as (
    select o.*, o.ordered_at >= w.current_start as is_current
    from {{ stg_orders }} as o, windows as w
    where o.ordered_at >= w.previous_start
),

history as (
    select min(ordered_at) as first_order_at from main.transactions
),

margin as (
    select sum(margin) / nullif(sum(amount), 0) as margin_rate
    from orders
    where is_current and margin is not null
),

buyers as (
    select
        customer_id,
        bool_or(not is_current) as bought_before,
        bool_or(is_current) as bought_now
    from orders
    where is_purchase
    group by customer_id
),

retention as (
    select
        count(*) filter (where bought_before and bought_now)::double
        / nullif(count(*) filter (where bought_before), 0) as retention_rate
    from buyers
),

final as (
    select
        m.margin_rate,
        case when h.first_order_at < w.previous_start then r.retention_rate end
            as retention_rate
    from margin as m, retention as r, history as h, windows as w
)

select * from final
