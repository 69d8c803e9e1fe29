-- purchase_span: one row, the first and last purchase day (stg_purchase_days: a day with an
-- order that is not a refund) up to and including the as-of date; both null without one.
-- Parameters: $as_of (date).
with

purchase_days as (
    select * from {{ stg_purchase_days }}
),

final as (
    select
        min(purchased_on) as first_purchased_on,
        max(purchased_on) as last_purchased_on
    from purchase_days
)

select * from final
