-- customer_satisfaction: one row per buyer of the customer_stages temp table (a purchase
-- by the as-of date; see core/lifecycle.py) with their satisfaction on the as-of date:
-- their latest CSAT and NPS answers, the NPS band of the latest NPS answer (promoter 9-10,
-- passive 7-8, detractor 0-6, no_answer), the CSAT band of the latest CSAT answer (unhappy
-- 1-2, neutral 3, happy 4-5, no_answer), complaints still open at the end of the day,
-- whether they are unhappy (a detractor, a latest CSAT of 1-2 or an open complaint), their
-- star rating (customer_extras, null until stars are built) and their value: the CLV
-- model's predicted value when $value_basis = 'predicted', else margin to date.
-- Parameters: $as_of (date), $value_basis.
with

stages as (
    select * from customer_stages
    where first_purchase_on is not null
),

extras as (
    select * from customer_extras
),

feedback as (
    select * from feedback
    where submitted_at < $as_of::date + interval 1 day
),

latest_answers as (
    select
        customer_id,
        -- the latest answer; of answers at the same time, the one with the greatest id
        arg_max(nps, (submitted_at, feedback_id)) filter (where nps is not null) as latest_nps,
        arg_max(csat, (submitted_at, feedback_id)) filter (where csat is not null) as latest_csat
    from feedback
    where nps is not null or csat is not null
    group by customer_id
),

open_complaints as (
    select customer_id, count(*) as open_complaints
    from feedback
    where
        kind = 'complaint'
        and (resolved_at is null or resolved_at >= $as_of::date + interval 1 day)
    group by customer_id
),

banded as (
    select
        s.customer_id,
        s.city,
        s.acquisition_channel,
        s.stage,
        s.last_purchase_on,
        s.revenue,
        s.margin,
        x.stars,
        case when $value_basis = 'predicted' then x.predicted_clv else s.margin end as value,
        a.latest_csat,
        a.latest_nps,
        case
            when a.latest_nps is null then 'no_answer'
            when a.latest_nps >= 9 then 'promoter'
            when a.latest_nps >= 7 then 'passive'
            else 'detractor'
        end as nps_band,
        case
            when a.latest_csat is null then 'no_answer'
            when a.latest_csat <= 2 then 'unhappy'
            when a.latest_csat < 4 then 'neutral'
            else 'happy'
        end as csat_band,
        coalesce(o.open_complaints, 0) as open_complaints
    from stages as s
    left join extras as x on x.customer_id = s.customer_id
    left join latest_answers as a on a.customer_id = s.customer_id
    left join open_complaints as o on o.customer_id = s.customer_id
),

final as (
    select
        *,
        nps_band = 'detractor' or csat_band = 'unhappy' or open_complaints > 0 as is_unhappy
    from banded
)

select * from final
