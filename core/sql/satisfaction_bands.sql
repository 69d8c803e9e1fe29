-- satisfaction_bands: one row per band of the buyers in the customer_satisfaction temp
-- table: buyers, how many are churned or at risk on the as-of date, and the value they
-- hold. The bands follow $measure: 'nps' bands the latest NPS answer (promoter 9-10,
-- passive 7-8, detractor 0-6), 'csat' the latest CSAT answer (unhappy 1-2, neutral 3,
-- happy 4-5); a buyer without such an answer is no_answer. Parameters: $measure.
with

buyers as (
    select * from customer_satisfaction
),

banded as (
    select
        stage,
        value,
        case
            when $measure = 'nps' then nps_band
            when latest_csat is null then 'no_answer'
            when latest_csat <= 2 then 'unhappy'
            when latest_csat < 4 then 'neutral'
            else 'happy'
        end as band
    from buyers
),

final as (
    select
        band,
        count(*) as buyers,
        count(*) filter (where stage = 'churned') as churned,
        count(*) filter (where stage = 'at_risk') as at_risk,
        sum(value) as value  -- null when no value is known (the value model did not run)
    from banded
    group by band
)

select * from final
