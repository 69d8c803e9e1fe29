-- star_inputs: customer_features (one row per customer signed up by the as-of date) with
-- the inputs of the relationship score (core/stars.py): touchpoints and mean CSAT over the
-- 12 months up to the as-of date, customers referred to date, complaints still open on
-- the as-of date. Unknown is null, not zero: touchpoints when no interaction is loaded,
-- open complaints when no feedback is, referrals when no customer has a referrer.
-- The 12 months are stg_windows' current period, written out here: aggregate filters that
-- read the bounds from the stg_windows subquery stalled DuckDB 2.0 on 1M customers.
-- Parameters: $as_of (date).
with

features as (
    select * from customer_features
),

interactions as (
    select * from interactions
    where occurred_at < $as_of::date + interval 1 day
        and occurred_at >= $as_of::date - interval 1 year + interval 1 day
),

feedback as (
    select * from feedback
    where submitted_at < $as_of::date + interval 1 day
),

customers as (
    select * from customers
    where signed_up_at < $as_of::date + interval 1 day
),

touches as (
    select customer_id, count(*) as count_interactions_12m
    from interactions
    group by customer_id
),

answers as (
    select
        customer_id,
        avg(csat) filter (
            where submitted_at >= $as_of::date - interval 1 year + interval 1 day
        ) as avg_csat_12m,
        count(*) filter (
            where kind = 'complaint'
                and (resolved_at is null or resolved_at >= $as_of::date + interval 1 day)
        ) as count_open_complaints
    from feedback
    group by customer_id
),

referrals as (
    select referred_by as customer_id, count(*) as count_referrals
    from customers
    where referred_by is not null
    group by referred_by
),

loaded as (
    select
        exists (select 1 from main.interactions) as has_interactions,
        exists (select 1 from feedback) as has_feedback,
        exists (select 1 from customers where referred_by is not null) as has_referrals
),

final as (
    select
        f.*,
        case when l.has_interactions then coalesce(t.count_interactions_12m, 0) end
            as count_interactions_12m,
        a.avg_csat_12m::double as avg_csat_12m,
        case when l.has_referrals then coalesce(r.count_referrals, 0) end as count_referrals,
        case when l.has_feedback then coalesce(a.count_open_complaints, 0) end
            as count_open_complaints
    from features as f
    cross join loaded as l
    left join touches as t on t.customer_id = f.customer_id
    left join answers as a on a.customer_id = f.customer_id
    left join referrals as r on r.customer_id = f.customer_id
)

select * from final
