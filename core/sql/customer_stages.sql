-- customer_stages: one row per customer acquired by the as-of date (signed up, or first
-- purchase, on or before it) with their lifecycle stage on that day.
-- Orders and purchase days as staged (stg_orders, stg_purchase_days); revenue and margin
-- are net of refunds. The stage (rules: core/lifecycle.py, LifecycleRules):
--   prospect  no purchase and no refund yet;
--   refund_only  refunds but no purchase in the data (goods bought before the data start,
--             returned in it): a customer who has bought, so not a prospect, but with no
--             purchase to judge a rhythm by;
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

orders as (
    select * from {{ stg_orders }}
),

purchase_days as (
    select * from {{ stg_purchase_days }}
),

days as (
    select customer_id, count(*) as count_purchase_days
    from purchase_days
    group by customer_id
),

order_totals as (
    select
        customer_id,
        min(ordered_on) filter (where is_purchase) as first_purchase_on,
        max(ordered_on) filter (where is_purchase) as last_purchase_on,
        min(ordered_on) as first_order_on,
        sum(amount) as revenue,
        sum(margin) as margin
    from orders
    group by customer_id
),

purchases as (
    select o.*, d.count_purchase_days
    from order_totals as o
    left join days as d on d.customer_id = o.customer_id
),

measured as (
    select
        c.customer_id,
        c.city,
        c.acquisition_channel,
        c.acquisition_cost,
        c.signed_up_at::date as signed_up_on,
        least(c.signed_up_at::date, p.first_order_on) as acquired_on,
        p.first_order_on is not null and p.first_purchase_on is null as is_refund_only,
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
            when is_refund_only then 'refund_only'
            when first_purchase_on is null then 'prospect'
            when days_since_purchase > $churned_days then 'churned'
            when days_since_purchase > at_risk_after_days then 'at_risk'
            when count_purchase_days = 1 or days_since_first_purchase <= $new_days then 'new'
            else 'active'
        end as stage
    from thresholds
)

select * from final
