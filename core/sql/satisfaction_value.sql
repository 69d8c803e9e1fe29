-- satisfaction_value: one row: the value held by all buyers of the customer_satisfaction
-- temp table, by detractors, by customers with an open complaint, by unhappy customers and
-- by unhappy customers rated $top_stars stars or more, with how many customers each is.
-- Churned customers count too: their value is history. A group without customers holds 0;
-- every value is null when there are buyers and none has a value (the value model did not
-- run): unknown, not 0. Values are summed as decimals, so the sums do not depend on the
-- order the threads add them in: a filter choosing everyone gives the same figures.
-- Parameters: $top_stars.
with

buyers as (
    select *, value::decimal(38, 6) as exact_value from customer_satisfaction
),

known as (
    select count(*) = 0 or count(value) > 0 as value_known
    from buyers
),

totals as (
    select
        count(*) as buyers,
        coalesce(sum(exact_value), 0) as value,
        count(*) filter (where nps_band = 'detractor') as detractors,
        coalesce(sum(exact_value) filter (where nps_band = 'detractor'), 0) as detractor_value,
        count(*) filter (where open_complaints > 0) as open_complaint_customers,
        coalesce(sum(exact_value) filter (where open_complaints > 0), 0) as open_complaint_value,
        count(*) filter (where is_unhappy) as unhappy,
        coalesce(sum(exact_value) filter (where is_unhappy), 0) as unhappy_value,
        count(*) filter (where is_unhappy and stars >= $top_stars) as unhappy_top_tier,
        coalesce(sum(exact_value) filter (where is_unhappy and stars >= $top_stars), 0)
            as unhappy_top_tier_value
    from buyers
),

final as (
    select
        t.buyers,
        case when k.value_known then t.value::double end as value,
        t.detractors,
        case when k.value_known then t.detractor_value::double end as detractor_value,
        t.open_complaint_customers,
        case when k.value_known then t.open_complaint_value::double end as open_complaint_value,
        t.unhappy,
        case when k.value_known then t.unhappy_value::double end as unhappy_value,
        t.unhappy_top_tier,
        case when k.value_known then t.unhappy_top_tier_value::double end
            as unhappy_top_tier_value
    from totals as t
    cross join known as k
)

select * from final
