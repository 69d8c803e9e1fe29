-- learnt_features: one row per customer with a purchase day on or before the as-of date:
-- what was known about them at the end of that day and nothing later (every table is cut
-- at the end of $as_of first), as features of the learnt purchase forecaster
-- (core.learnt_model). Purchase days as staged (stg_purchase_days). Days count to the
-- as-of day; "last N days" end on it. Contacts are counted where the shop has them (0
-- otherwise); csat_mean is 0 for a customer who never answered (CSAT runs 1 to 5).
-- Parameters: $as_of (date).
with

purchase_days as (
    select customer_id, purchased_on, spend from {{ stg_purchase_days }}
),

interactions as (
    select customer_id, occurred_at from interactions
    where occurred_at < $as_of::date + interval 1 day
),

feedback as (
    select customer_id, submitted_at, kind, csat from feedback
    where submitted_at < $as_of::date + interval 1 day
),

buying as (
    select
        customer_id,
        count(*) - 1 as frequency,
        date_diff('day', min(purchased_on), max(purchased_on)) as recency_days,
        date_diff('day', min(purchased_on), $as_of::date) as age_days,
        date_diff('day', max(purchased_on), $as_of::date) as idle_days,
        avg(spend) as spend_mean,
        count(*) filter (where purchased_on > $as_of::date - 30) as days_30,
        count(*) filter (where purchased_on > $as_of::date - 90) as days_90,
        count(*) filter (where purchased_on > $as_of::date - 180) as days_180,
        count(*) filter (where purchased_on > $as_of::date - 365) as days_365
    from purchase_days
    group by customer_id
),

contacts as (
    select
        customer_id,
        count(*) as contacts,
        count(*) filter (where occurred_at >= $as_of::date - interval 89 day) as contacts_90
    from interactions
    group by customer_id
),

answers as (
    select
        customer_id,
        count(*) as answers,
        count(*) filter (where kind = 'complaint') as complaints,
        avg(csat) as csat_mean
    from feedback
    group by customer_id
),

final as (
    select
        b.*,
        coalesce(c.contacts, 0) as contacts,
        coalesce(c.contacts_90, 0) as contacts_90,
        coalesce(a.answers, 0) as answers,
        coalesce(a.complaints, 0) as complaints,
        coalesce(a.csat_mean, 0) as csat_mean,
        coalesce(k.acquisition_channel, 'unknown') as acquisition_channel
    from buying as b
    left join contacts as c on b.customer_id = c.customer_id
    left join answers as a on b.customer_id = a.customer_id
    left join customers as k on b.customer_id = k.customer_id
)

select * from final
order by customer_id
