-- purchase_days_after: one row per customer and purchase day after the $after date, up to
-- and including the as-of date (the model-health holdout, or the churn label's "next N
-- days"). Purchase days as staged (stg_purchase_days), known at the end of the as-of day.
-- Parameters: $after (date), $as_of (date).
with

purchase_days as (
    select * from {{ stg_purchase_days }}
),

final as (
    select customer_id, purchased_on, spend
    from purchase_days
    where purchased_on > $after::date
)

select * from final
order by customer_id, purchased_on
