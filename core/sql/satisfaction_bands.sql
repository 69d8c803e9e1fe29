-- satisfaction_bands: one row per band of the buyers in the customer_satisfaction temp
-- table: buyers, how many are churned or at risk on the as-of date, and the value they
-- hold. The bands follow $measure: 'nps' the NPS band of the latest NPS answer, 'csat' the
-- CSAT band of the latest CSAT answer (both defined in customer_satisfaction.sql); a buyer
-- without such an answer is no_answer. The value is null in every band when there are
-- buyers and none has a value (the value model did not run): unknown, not 0.
-- Parameters: $measure.
with

buyers as (
    select * from customer_satisfaction
),

known as (
    select count(*) = 0 or count(value) > 0 as value_known
    from buyers
),

banded as (
    select
        stage,
        value,
        case when $measure = 'nps' then nps_band else csat_band end as band
    from buyers
),

totals as (
    select
        band,
        count(*) as buyers,
        count(*) filter (where stage = 'churned') as churned,
        count(*) filter (where stage = 'at_risk') as at_risk,
        coalesce(sum(value), 0) as value
    from banded
    group by band
),

final as (
    select
        t.band,
        t.buyers,
        t.churned,
        t.at_risk,
        case when k.value_known then t.value end as value
    from totals as t
    cross join known as k
)

select * from final
