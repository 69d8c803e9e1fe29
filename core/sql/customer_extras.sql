-- customer_extras: one row per customer of customer_features with the model outputs other
-- parts of StarTier add to it, null where they have not run yet: stars (1-5, core/stars.py)
-- and predicted_clv (predicted_clv_12m, the CLV model's value over the next 12 months,
-- core/value.py). `union all by name` with an empty row of the wanted columns makes a
-- missing column read as null.
with

features as (
    from customer_features
    union all by name
    select
        null::varchar as customer_id,
        null::integer as stars,
        null::double as predicted_clv_12m
    where false
),

final as (
    select customer_id, stars::integer as stars, predicted_clv_12m::double as predicted_clv
    from features
)

select * from final
