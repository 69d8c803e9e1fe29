-- value_defaults: one row of what the data say about the CLV inputs a user may override,
-- for the 12 months up to the as-of date. margin_rate = (amount - cost) / amount over the
-- orders with a recorded cost (null without costs); retention_rate = share of the
-- customers who bought in the 12 months before those who bought again in them (null
-- without two years of history). Periods and orders as staged (stg_windows,
-- stg_trailing_orders).
-- Parameters: $as_of (date).
with

windows as (
    select * from {{ stg_windows }}
),

orders as (
    select * from {{ stg_trailing_orders }}
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
