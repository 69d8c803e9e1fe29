-- customer360_categories: one customer's transaction lines on or before the as-of date by
-- product category (lines without one under null): lines, orders (by order_id, by the
-- line where it is absent) and net amount (refund lines count against it). Largest amount
-- first. Parameters: $as_of (date), $customer_id.
with

lines as (
    select *
    from transactions
    where
        customer_id = $customer_id
        and ordered_at < $as_of::date + interval 1 day
),

final as (
    select
        l.product_category as category,
        count(*) as count_lines,
        count(distinct coalesce(l.order_id, l.transaction_id)) as count_orders,
        sum(l.amount) as amount
    from lines as l
    group by l.product_category
)

select * from final
order by amount desc, category nulls last
