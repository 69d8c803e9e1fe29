-- offers_basket_shape: one row: how many orders of offers_baskets (a temp table made for
-- the call with baskets by order) hold an item (`orders`) and how many hold two or more
-- distinct ones (`multi_item_orders`): what decides whether a basket is an order or a
-- customer's history.
-- No parameters.
with

items as (
    select * from offers_baskets
),

orders as (
    select customer_id, basket_key, count(*) as count_items
    from items
    group by customer_id, basket_key
),

final as (
    select
        count(*) as orders,
        count(*) filter (where count_items >= 2) as multi_item_orders
    from orders
)

select * from final
