-- churn_features: one row per customer with a purchase day in the $active_days days up to
-- and including the cut-off date: what was known about them at the end of that day, and
-- nothing later (every raw table is cut at the end of $as_of before anything else).
-- Orders, refunds and purchase days as staged (stg_orders, stg_purchase_days): spend is the
-- net value of the purchase days, summed as decimals so that repeated runs agree to the
-- bit; count_refunds_365 counts refund orders. "Last 90 / 365 days" end on the cut-off day.
-- $customers (a list of customer ids; NULL: everyone) keeps only those customers, before any
-- grouping: a training cut-off needs only the customers its model is trained on.
-- Parameters: $as_of (the cut-off date), $active_days (days), $customers (varchar[] or NULL).
with

chosen as (
    select unnest($customers::varchar[]) as customer_id
),

orders as (
    select * from {{ stg_orders }}
    where
        $customers::varchar[] is null
        or customer_id in (select c.customer_id from chosen as c)
),

purchase_days as (
    select * from {{ stg_purchase_days }}
    where
        $customers::varchar[] is null
        or customer_id in (select c.customer_id from chosen as c)
),

interactions as (
    select * from interactions
    where occurred_at < $as_of::date + interval 1 day
    and (
        $customers::varchar[] is null
        or customer_id in (select c.customer_id from chosen as c)
    )
),

feedback as (
    select * from feedback
    where submitted_at < $as_of::date + interval 1 day
    and (
        $customers::varchar[] is null
        or customer_id in (select c.customer_id from chosen as c)
    )
),

customers as (
    select * from customers
    where signed_up_at < $as_of::date + interval 1 day
),

refunds as (
    select customer_id, count(*) as count_refunds_365
    from orders
    where is_refund and ordered_at >= $as_of::date - interval 364 day
    group by customer_id
),

buying as (
    select
        customer_id,
        min(purchased_on) as first_purchased_on,
        max(purchased_on) as last_purchased_on,
        count(*) as count_purchase_days,
        count(*) filter (where purchased_on > $as_of::date - 90) as count_purchase_days_90,
        count(*) filter (where purchased_on > $as_of::date - 365) as count_purchase_days_365,
        sum(spend::decimal(38, 6)) as spend,
        coalesce(sum(spend::decimal(38, 6)) filter (where purchased_on > $as_of::date - 365), 0)
            as spend_365
    from purchase_days
    group by customer_id
    having max(purchased_on) > $as_of::date - $active_days
),

touches as (
    select
        customer_id,
        count(*) filter (where kind = 'inquiry' and occurred_at >= $as_of::date - 89)
            as count_inquiries_90
    from interactions
    where direction is distinct from 'outbound'
    group by customer_id
),

answers as (
    select
        customer_id,
        -- the latest answer; of answers at the same time, the one with the greatest id
        arg_max(csat, (submitted_at, feedback_id)) filter (where csat is not null) as latest_csat,
        arg_max(nps, (submitted_at, feedback_id)) filter (where nps is not null) as latest_nps,
        count(*) filter (
            where kind = 'complaint' and submitted_at >= $as_of::date - 364
        ) as count_complaints_365,
        count(*) filter (
            where kind = 'complaint'
            and (resolved_at is null or resolved_at >= $as_of::date + interval 1 day)
        ) as count_open_complaints
    from feedback
    group by customer_id
),

final as (
    select
        b.customer_id,
        coalesce(c.acquisition_channel, 'unknown') as acquisition_channel,
        date_diff('day', b.last_purchased_on, $as_of::date) as recency_days,
        date_diff('day', b.first_purchased_on, $as_of::date) as tenure_days,
        b.count_purchase_days,
        b.count_purchase_days_90,
        b.count_purchase_days_365,
        (b.spend / b.count_purchase_days)::double as avg_spend,
        b.spend_365::double as spend_365,
        case
            when b.count_purchase_days > 1
                then date_diff('day', b.first_purchased_on, b.last_purchased_on)::double
                / (b.count_purchase_days - 1)
        end as mean_gap_days,
        case
            when b.count_purchase_days > 1
                then date_diff('day', b.last_purchased_on, $as_of::date)::double
                / greatest(
                    date_diff('day', b.first_purchased_on, b.last_purchased_on)::double
                    / (b.count_purchase_days - 1),
                    1
                )
        end as overdue_ratio,
        coalesce(r.count_refunds_365, 0) as count_refunds_365,
        coalesce(t.count_inquiries_90, 0) as count_inquiries_90,
        coalesce(a.count_complaints_365, 0) as count_complaints_365,
        coalesce(a.count_open_complaints, 0) as count_open_complaints,
        a.latest_csat,
        a.latest_nps
    from buying as b
    left join customers as c on c.customer_id = b.customer_id
    left join refunds as r on r.customer_id = b.customer_id
    left join touches as t on t.customer_id = b.customer_id
    left join answers as a on a.customer_id = b.customer_id
)

select * from final
order by customer_id
