-- satisfaction_band_customers: the buyers of the customer_satisfaction temp table in band
-- $band of $measure ('nps': the band of their latest NPS answer, 'csat': of their latest
-- CSAT answer; no_answer without one), churned ones included, most valuable first: the
-- columns of value_at_risk.sql. Parameters: $measure, $band.
with

buyers as (
    select * from customer_satisfaction
),

final as (
    select
        customer_id,
        city,
        acquisition_channel,
        stage,
        stars,
        latest_nps,
        latest_csat,
        open_complaints,
        last_purchase_on,
        revenue,
        value
    from buyers
    where (case when $measure = 'nps' then nps_band else csat_band end) = $band
)

select * from final
order by value desc nulls last, customer_id
