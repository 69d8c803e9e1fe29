-- rating_flows: one row per (source, target) pair of stars or segments between two month
-- ends of customer_monthly, with the customers who moved that way. Customers not yet rated
-- at the start read "none". Parameters: $start, $end (month ends), $by ('stars' or
-- 'segment').
with

monthly as (
    select * from customer_monthly
),

at_start as (
    select customer_id, stars, segment from monthly where month_end = $start::date
),

at_end as (
    select customer_id, stars, segment from monthly where month_end = $end::date
),

paired as (
    select
        coalesce(
            case when $by = 'stars' then s.stars::varchar else s.segment end, 'none'
        ) as source,
        case when $by = 'stars' then e.stars::varchar else e.segment end as target
    from at_end as e
    left join at_start as s on s.customer_id = e.customer_id
),

final as (
    select source, target, count(*) as customers
    from paired
    group by source, target
)

select * from final
order by source, target
