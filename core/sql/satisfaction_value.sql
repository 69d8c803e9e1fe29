-- satisfaction_value: one row: the value held by all buyers of the customer_satisfaction
-- temp table, by detractors, by customers with an open complaint, by unhappy customers and
-- by unhappy customers rated $top_stars stars or more (null figures until stars exist),
-- with how many customers each is. Churned customers count too: their value is history.
-- Parameters: $top_stars.
with

buyers as (
    select * from customer_satisfaction
),

final as (
    select
        count(*) as buyers,
        coalesce(sum(value), 0) as value,
        count(*) filter (where nps_band = 'detractor') as detractors,
        coalesce(sum(value) filter (where nps_band = 'detractor'), 0) as detractor_value,
        count(*) filter (where open_complaints > 0) as open_complaint_customers,
        coalesce(sum(value) filter (where open_complaints > 0), 0) as open_complaint_value,
        count(*) filter (where is_unhappy) as unhappy,
        coalesce(sum(value) filter (where is_unhappy), 0) as unhappy_value,
        count(stars) as rated,
        count(*) filter (where is_unhappy and stars >= $top_stars) as unhappy_top_tier,
        sum(value) filter (where is_unhappy and stars >= $top_stars) as unhappy_top_tier_value
    from buyers
)

select * from final
