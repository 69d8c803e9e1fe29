-- churn_active_customers: one row per customer with a purchase day in the $active_days days up
-- to and including the cut-off date, in customer_id order: the customers (and the row order)
-- of churn_features, without their features. A training cut-off samples its customers from
-- these and computes churn_features for the sample only (tests/core/test_churn.py pins the
-- two files to the same customers).
-- Parameters: $as_of (the cut-off date), $active_days (days).
with

purchase_days as (
    select * from {{ stg_purchase_days }}
),

final as (
    select customer_id
    from purchase_days
    group by customer_id
    having max(purchased_on) > $as_of::date - $active_days
)

select * from final
order by customer_id
