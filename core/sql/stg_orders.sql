-- stg_orders: one row per order known at the end of the as-of day. An order is the lines
-- (transactions) sharing an order_id; a line without one is an order of its own, keyed by
-- its transaction_id. This is the one definition every mart and model reads:
--   ordered_at  the order's first line; amount the net value of its lines up to the as-of
--               day (refund lines reduce it), summed as decimals so that repeated runs agree
--               to the bit; margin = amount - cost over the lines with a cost (null when no
--               line has one);
--   is_purchase net value >= 0: an order (a free order counts, as in the published BG/NBD
--               recipe on CDNOW). is_refund: net value < 0, a refund (a refund-only
--               order, or one returned for more than it cost): not an order, though its
--               value still counts in revenue.
-- Parameters: $as_of (date).
with

lines as (
    select * from transactions
    where ordered_at < $as_of::date + interval 1 day
),

orders as (
    select
        customer_id,
        coalesce(order_id, transaction_id) as order_key,
        min(ordered_at) as ordered_at,
        sum(amount::decimal(38, 6))::double as amount,
        sum((amount - cost)::decimal(38, 6))::double as margin,
        count(*) as count_lines
    from lines
    group by customer_id, coalesce(order_id, transaction_id)
),

final as (
    select
        customer_id,
        order_key,
        ordered_at,
        ordered_at::date as ordered_on,
        amount,
        margin,
        count_lines,
        amount >= 0 as is_purchase,
        amount < 0 as is_refund
    from orders
)

select * from final
