-- churn_purchasers: one row per customer with a purchase day (stg_purchase_days, any
-- version), in customer_id order: the customers churn_history numbers (its `n` is the
-- row's position here, from 0), with the acquisition channel as loaded (null: none, or no
-- customer row) and the day they signed up (null: unknown). churn_features reads the
-- channel of a customer signed up by the end of the cut-off day.
-- No parameters.
with

purchase_days as (
    select * from {{ stg_purchase_days versions }}
),

customers as (
    select * from customers
),

purchasers as (
    select distinct customer_id
    from purchase_days
),

final as (
    select
        p.customer_id,
        c.acquisition_channel,
        c.signed_up_at::date as signed_up_on
    from purchasers as p
    left join customers as c on c.customer_id = p.customer_id
)

select * from final
order by customer_id
