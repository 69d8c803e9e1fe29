-- lifecycle_funnel: one row per group of the customers acquired by the as-of date ($by:
-- 'channel' = acquisition channel, 'cohort' = sign-up month as YYYY-MM, else one row
-- 'all'): acquired, converted (1+ purchase day), repeat (2+ purchase days), retained
-- (repeat buyers still live on the as-of date: stage new or active) and the days from
-- sign-up to the first purchase of the converted (median, share within 0 and 7 days).
-- Reads the customer_stages temp table (core/lifecycle.py). Parameters: $by.
with

stages as (
    select * from customer_stages
),

grouped as (
    select
        case $by
            when 'channel' then coalesce(acquisition_channel, 'unknown')
            when 'cohort' then strftime(signed_up_on, '%Y-%m')
            else 'all'
        end as group_key,
        first_purchase_on is not null as is_converted,
        count_purchase_days >= 2 as is_repeat,
        count_purchase_days >= 2 and stage in ('new', 'active') as is_retained,
        days_to_first_purchase
    from stages
),

final as (
    select
        group_key,
        count(*) as acquired,
        count(*) filter (where is_converted) as converted,
        count(*) filter (where is_repeat) as repeat,
        count(*) filter (where is_retained) as retained,
        median(days_to_first_purchase) as median_days_to_first_purchase,
        avg((days_to_first_purchase = 0)::int) as share_first_purchase_same_day,
        avg((days_to_first_purchase <= 7)::int) as share_first_purchase_7_days
    from grouped
    group by group_key
)

select * from final
order by group_key
