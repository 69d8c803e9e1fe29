-- purchase_days_after: one row per customer and purchase day in the $days days after the
-- $after date (from the day after $after to $after + $days, both included). A purchase day
-- is a calendar day with at least one order that is not a refund, as in btyd_summary; its
-- spend is the day's net amount. The holdout of the model-health check and the label of
-- the churn classifier ("no purchase in the next N days") both read it.
-- Parameters: $after (date), $days (days).
with

transactions as (
    select * from transactions
    where
        ordered_at >= $after::date + interval 1 day
        and ordered_at < $after::date + interval 1 day + to_days($days::integer)
),

purchase_days as (
    select
        customer_id,
        ordered_at::date as purchased_on,
        sum(amount) as spend
    from transactions
    group by customer_id, ordered_at::date
    having count(*) filter (where amount >= 0) > 0
),

final as (
    select customer_id, purchased_on, spend
    from purchase_days
)

select * from final
order by customer_id, purchased_on
