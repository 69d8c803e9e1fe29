-- lifecycle_customers: the customers of the customer_stages temp table (core/lifecycle.py)
-- matching a drill-down, largest revenue first, at most $limit rows (null: all).
-- Filters (null = any): $group, a stage or a funnel step ('converted', 'repeat',
-- 'retained'); $channel, an acquisition channel ('unknown' = none recorded); $cohort, the
-- first day of a sign-up month; $months_since_signup, bought in that month after the
-- sign-up month (0 = the sign-up month). Parameters: those and $as_of (date), $limit.
with

stages as (
    select * from customer_stages
),

orders as (
    select * from {{ stg_orders }}
    where is_purchase
),

chosen as (
    select *
    from stages
    where
        (
            $group is null
            or stage = $group
            or ($group = 'converted' and first_purchase_on is not null)
            or ($group = 'repeat' and count_purchase_days >= 2)
            or ($group = 'retained' and count_purchase_days >= 2 and stage in ('new', 'active'))
        )
        and ($channel is null or coalesce(acquisition_channel, 'unknown') = $channel)
        and ($cohort is null or date_trunc('month', signed_up_on) = $cohort::date)
),

bought_in_month as (
    select distinct t.customer_id
    from orders as t
    inner join chosen as c on c.customer_id = t.customer_id
    where
        date_trunc('month', t.ordered_at)
        = date_trunc('month', c.signed_up_on) + to_months($months_since_signup::integer)
),

final as (
    select
        customer_id,
        city,
        acquisition_channel,
        signed_up_on,
        first_purchase_on,
        last_purchase_on,
        count_purchase_days,
        revenue,
        margin,
        days_since_purchase,
        stage
    from chosen
    where
        $months_since_signup is null
        or customer_id in (select customer_id from bought_in_month)
)

select * from final
order by revenue desc, customer_id
limit $limit
