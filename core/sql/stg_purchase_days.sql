-- stg_purchase_days: one row per customer and purchase day up to the end of the as-of day.
-- A purchase day is a calendar day with at least one order that is not a refund (net value
-- >= 0: stg_orders.is_purchase); spend = the net value of all that day's orders (a refund on the
-- same day reduces it); count_orders = the day's orders. Refund-only days are not
-- purchase days. BTYD summary, churn features, the model-health holdout and the loyalty
-- history all count purchases with it.
-- Parameters: $as_of (date).
with

orders as (
    select * from {{ stg_orders }}
),

final as (
    select
        customer_id,
        ordered_on as purchased_on,
        sum(amount::decimal(38, 6))::double as spend,
        count(*) filter (where is_purchase) as count_orders
    from orders
    group by customer_id, ordered_on
    having bool_or(is_purchase)
)

select * from final
