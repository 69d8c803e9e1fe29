-- customer_stages: one row per customer acquired by the as-of date (signed up, or first
-- purchase, on or before it) with their lifecycle stage on that day.
-- A purchase day is a day with at least one order of positive amount; revenue and margin
-- are net of refunds. The stage (rules: core/lifecycle.py, LifecycleRules):
--   prospect  no purchase yet;
--   churned   no purchase for more than $churned_days days;
--   at_risk   no purchase for more than max($at_risk_min_days, $at_risk_gap_multiple x the
--             customer's mean gap between purchase days) days;
--   new       first purchase at most $new_days days ago, or a single purchase day;
--   active    the rest: repeat buyers still within their own rhythm.
-- Parameters: $as_of (date), $new_days, $at_risk_min_days, $at_risk_gap_multiple,
-- $churned_days.
with

customers as (
    select * from customers
),

transactions as (
    select * from transactions
    where ordered_at < $as_of::date + interval 1 day
),

purchases as (
    select
        customer_id,
        min(ordered_at::date) filter (where amount > 0) as first_purchase_on,
        max(ordered_at::date) filter (where amount > 0) as last_purchase_on,
        count(distinct ordered_at::date) filter (where amount > 0) as count_purchase_days,
        sum(amount) as revenue,
        sum(amount - cost) as margin
    from transactions
    group by customer_id
),

measured as (
    select
        c.customer_id,
        c.city,
        c.acquisition_channel,
        c.acquisition_cost,
        c.signed_up_at::date as signed_up_on,
        least(c.signed_up_at::date, p.first_purchase_on) as acquired_on,
        p.first_purchase_on,
        p.last_purchase_on,
        coalesce(p.count_purchase_days, 0) as count_purchase_days,
        coalesce(p.revenue, 0) as revenue,
        p.margin,
        case
            when p.first_purchase_on is not null
                then greatest(date_diff('day', c.signed_up_at::date, p.first_purchase_on), 0)
        end as days_to_first_purchase,
        date_diff('day', p.first_purchase_on, $as_of::date) as days_since_first_purchase,
        date_diff('day', p.last_purchase_on, $as_of::date) as days_since_purchase,
        date_diff('day', p.first_purchase_on, p.last_purchase_on)
            / nullif(p.count_purchase_days - 1, 0) as mean_gap_days
    from customers as c
    left join purchases as p on p.customer_id = c.customer_id
),

thresholds as (
    select
        *,
        greatest($at_risk_min_days, $at_risk_gap_multiple * coalesce(mean_gap_days, 0))
            as at_risk_after_days
    from measured
    where acquired_on <= $as_of::date
),

final as (
    select
        *,
        case
            when first_purchase_on is null then 'prospect'
            when days_since_purchase > $churned_days then 'churned'
            when days_since_purchase > at_risk_after_days then 'at_risk'
            when count_purchase_days = 1 or days_since_first_purchase <= $new_days then 'new'
            else 'active'
        end as stage
    from thresholds
)

select * from final
