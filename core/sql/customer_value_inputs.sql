-- customer_value_inputs: one row per customer with an order of positive amount on or
-- before the as-of date: who they are (no personal data: city and channel only) and the
-- inputs of the formula CLV. aov = revenue (net of refunds) / orders; purchases_per_year =
-- orders per year since the first order, the time counted as at least a year so that a
-- customer who joined last month is not annualised from one month.
-- Parameters: $as_of (date).
with

customers as (
    select * from customers
),

transactions as (
    select * from transactions
    where ordered_at < $as_of::date + interval 1 day
),

orders as (
    select
        customer_id,
        min(ordered_at) filter (where amount > 0)::date as first_purchase_on,
        max(ordered_at) filter (where amount > 0)::date as last_purchase_on,
        count(*) filter (where amount > 0) as count_orders,
        sum(amount) as revenue
    from transactions
    group by customer_id
    having count(*) filter (where amount > 0) > 0
),

final as (
    select
        o.customer_id,
        c.city,
        coalesce(c.acquisition_channel, 'unknown') as acquisition_channel,
        o.first_purchase_on,
        o.last_purchase_on,
        o.count_orders,
        o.revenue,
        greatest(o.revenue, 0) / o.count_orders as aov,
        o.count_orders * 365.25
            / greatest(date_diff('day', o.first_purchase_on, $as_of::date), 365.25)
            as purchases_per_year,
        coalesce(c.acquisition_cost, 0) as acquisition_cost
    from orders as o
    left join customers as c on c.customer_id = o.customer_id
)

select * from final
order by customer_id
