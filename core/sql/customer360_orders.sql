-- customer360_orders: one row per order of one customer on or before the as-of date, as
-- staged (stg_orders: lines of an order summed; a refund is an order of negative value):
-- when, its value, margin (null without costs), lines and whether it is a refund. Oldest
-- first. Parameters: $as_of (date), $customer_id.
with

orders as (
    select * from {{ stg_orders }}
),

final as (
    select
        o.ordered_at,
        o.ordered_on,
        o.amount,
        o.margin,
        o.count_lines,
        o.is_refund
    from orders as o
    where o.customer_id = $customer_id
)

select * from final
order by ordered_at
