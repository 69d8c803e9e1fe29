-- value_at_risk: the unhappy buyers of the customer_satisfaction temp table who have not
-- churned (a detractor, a latest CSAT of 1-2 or an open complaint), most valuable first, at
-- most $limit rows (null: all); with $top_stars set, only those rated that many stars or
-- more. Parameters: $top_stars (null: every customer), $limit.
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
    where
        is_unhappy
        and stage <> 'churned'
        and ($top_stars is null or stars >= $top_stars)
)

select * from final
order by value desc nulls last, customer_id
limit $limit
