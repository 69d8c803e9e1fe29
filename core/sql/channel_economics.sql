-- channel_economics: one row per acquisition channel ('unknown' when none is recorded) of
-- the customers signed up by the as-of date: customers, buyers, acquisition cost (total and
-- per customer with a recorded cost: CAC), revenue and margin to the as-of date, and the
-- predicted value of the CLV model where it has run (customer_extras temp table, see
-- core/lifecycle.py; null otherwise). Margin is null where unknown: a channel whose orders
-- carry no cost, or any channel when no transaction has a cost; a channel without orders
-- made a margin of 0 when the data have costs. Parameters: $as_of (date).
with

customers as (
    select customer_id, coalesce(acquisition_channel, 'unknown') as channel, acquisition_cost
    from customers
    where signed_up_at < $as_of::date + interval 1 day
),

orders as (
    select * from {{ stg_orders }}
),

extras as (
    select * from customer_extras
),

value_to_date as (
    select
        customer_id,
        sum(amount) as revenue,
        sum(margin) as margin,
        bool_or(is_purchase) as is_buyer
    from orders
    group by customer_id
),

costing as (
    -- an order has a cost: its customer's margin is known (the orders read once)
    select count(margin) > 0 as has_cost from value_to_date
),

final as (
    select
        c.channel,
        count(*) as customers,
        count(*) filter (where v.is_buyer) as buyers,
        sum(c.acquisition_cost) as acquisition_cost,
        avg(c.acquisition_cost) as cac,
        coalesce(sum(v.revenue), 0) as revenue,
        case
            when count(v.margin) > 0 then sum(v.margin)
            when count(v.customer_id) = 0 and (select has_cost from costing) then 0
        end as margin,
        sum(x.predicted_clv) as predicted_clv
    from customers as c
    left join value_to_date as v on v.customer_id = c.customer_id
    left join extras as x on x.customer_id = c.customer_id
    group by c.channel
)

select * from final
order by channel
