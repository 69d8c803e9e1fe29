-- customer360_purchase_days: one row per purchase day of one customer on or before the
-- as-of date, as staged (stg_purchase_days, what the BTYD summary counts): the day and its
-- spend. Oldest first. Parameters: $as_of (date), $customer_id.
with

purchase_days as (
    select * from {{ stg_purchase_days }}
),

final as (
    select
        d.purchased_on,
        d.spend
    from purchase_days as d
    where d.customer_id = $customer_id
)

select * from final
order by purchased_on
