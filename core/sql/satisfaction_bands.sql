-- satisfaction_bands: one row per NPS band (promoter, passive, detractor, no_answer) of
-- the buyers in the customer_satisfaction temp table: buyers, how many are churned or at
-- risk on the as-of date, and the value they hold.
with

buyers as (
    select * from customer_satisfaction
),

final as (
    select
        nps_band,
        count(*) as buyers,
        count(*) filter (where stage = 'churned') as churned,
        count(*) filter (where stage = 'at_risk') as at_risk,
        coalesce(sum(value), 0) as value
    from buyers
    group by nps_band
)

select * from final
