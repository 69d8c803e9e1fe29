-- rating_flows: one row per (source, target) pair of stars or segments between two month
-- ends, with the customers who moved that way. Customers not yet rated at the start read
-- "none". Reads rated_at_start and rated_at_end (customer_id, stars, segment: each month
-- end's customers of customer_monthly rated under the active rule set, which
-- core.stars.star_flows registers). Parameter: $by ('stars' or 'segment').
with

paired as (
    select
        coalesce(
            case when $by = 'stars' then s.stars::varchar else s.segment::varchar end, 'none'
        ) as source,
        case when $by = 'stars' then e.stars::varchar else e.segment::varchar end as target
    from rated_at_end as e
    left join rated_at_start as s on s.customer_id = e.customer_id
),

final as (
    select source, target, count(*) as customers
    from paired
    group by source, target
)

select * from final
order by source, target
