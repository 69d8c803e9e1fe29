-- offers_baskets: one row per basket and item bought in it, in the days after $since (null:
-- from the start) up to the end of $as_of. A basket is an order (the lines sharing an
-- order_id; a line without one is an order of its own, as in stg_orders) when $by_order,
-- else the customer's whole history in those days (basket_key ''). The item is the line's
-- product_category, or its product_id when $level = 'product'; lines without one are left
-- out, and so are refund lines (amount < 0): a basket holds what was bought, and an item
-- bought and later returned still counts as bought. One customer's when $customer_id is set.
-- Parameters: $as_of (date), $since (date or null), $level ('category' | 'product'),
-- $by_order (boolean), $customer_id (varchar or null).
with

lines as (
    select
        customer_id,
        coalesce(order_id, transaction_id) as order_key,
        case when $level = 'product' then product_id else product_category end as item
    from transactions
    where
        amount >= 0
        and ordered_at::date <= $as_of
        and ($since is null or ordered_at::date > $since)
        and ($customer_id is null or customer_id = $customer_id)
),

final as (
    select distinct
        customer_id,
        case when $by_order then order_key else '' end as basket_key,
        item
    from lines
    where item is not null
)

select * from final
