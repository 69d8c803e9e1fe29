-- customer_value_inputs: one row per customer with an order (stg_orders: net value >= 0,
-- not a refund) on or before the as-of date: who they are (no personal data: city and channel
-- only) and the inputs of the formula CLV. aov = revenue (net of refunds) / orders; purchases_per_year =
-- orders per year since the first order, the time counted as at least a year so that a
-- customer who joined last month is not annualised from one month.
-- Parameters: $as_of (date).
with

customers as (
    select * from customers
),

staged_orders as (
    select * from {{ stg_orders }}
),

orders as (
    select
        customer_id,
        min(ordered_on) filter (where is_purchase) as first_purchase_on,
        max(ordered_on) filter (where is_purchase) as last_purchase_on,
        count(*) filter (where is_purchase) as count_orders,
        sum(amount::decimal(38, 6))::double as revenue  -- exact, whatever the threads' order
    from staged_orders
    group by customer_id
    having bool_or(is_purchase)
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
