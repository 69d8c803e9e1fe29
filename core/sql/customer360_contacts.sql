-- customer360_contacts: one customer's touchpoints (interactions) and feedback (surveys,
-- complaints, suggestions) on or before the as-of date on one time line: when, which
-- source, kind, channel, direction (interactions), category, CSAT, NPS (feedback), when a
-- complaint was resolved and whether it is still open on the as-of date (a feedback
-- complaint not resolved by the end of that day, as the relationship score counts it).
-- Open complaints first, then newest first. Parameters: $as_of (date), $customer_id.
with

interactions as (
    select
        occurred_at as happened_at,
        'interaction' as source,
        kind,
        channel,
        direction,
        null::varchar as category,
        null::bigint as csat,
        null::bigint as nps,
        null::timestamp as resolved_at,
        false as is_open_complaint
    from interactions
    where
        customer_id = $customer_id
        and occurred_at < $as_of::date + interval 1 day
),

feedback as (
    select
        submitted_at as happened_at,
        'feedback' as source,
        kind,
        channel,
        null::varchar as direction,
        category,
        csat,
        nps,
        case when resolved_at < $as_of::date + interval 1 day then resolved_at end
            as resolved_at,
        kind = 'complaint'
        and (resolved_at is null or resolved_at >= $as_of::date + interval 1 day)
            as is_open_complaint
    from feedback
    where
        customer_id = $customer_id
        and submitted_at < $as_of::date + interval 1 day
),

final as (
    select * from interactions
    union all
    select * from feedback
)

select * from final
order by is_open_complaint desc, happened_at desc
