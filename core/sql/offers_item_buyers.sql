-- offers_item_buyers: one row per customer who bought $item (a product_category, or a
-- product_id when $level = 'product') by the end of $as_of, refund lines left out as in
-- offers_baskets: the customer's city and acquisition channel, the first and last day they
-- bought it, the orders holding it and what those lines came to; most spent first.
-- Parameters: $as_of (date), $level ('category' | 'product'), $item (varchar).
with

lines as (
    select
        t.customer_id,
        coalesce(t.order_id, t.transaction_id) as order_key,
        t.ordered_at,
        t.amount
    from transactions as t
    where
        t.amount >= 0
        and t.ordered_at::date <= $as_of
        and (case when $level = 'product' then t.product_id else t.product_category end) = $item
),

bought as (
    select
        customer_id,
        min(ordered_at)::date as first_bought_on,
        max(ordered_at)::date as last_bought_on,
        count(distinct order_key) as count_orders,
        sum(amount) as amount
    from lines
    group by customer_id
),

final as (
    select
        b.customer_id,
        c.city,
        c.acquisition_channel,
        b.first_bought_on,
        b.last_bought_on,
        b.count_orders,
        b.amount
    from bought as b
    left join customers as c on c.customer_id = b.customer_id
)

select * from final
