-- lifecycle_history: one row per month from $start_month (or, when later, the first month
-- with a customer or an order by the as-of date: months before the data hold nothing) to
-- the as-of month: customers in each lifecycle stage at the month's end (the as-of date
-- for the as-of month) and the month's flows of buyers. Stages follow the rules of
-- customer_stages.sql.
-- A buyer is live (new, active or at risk) or churned; a customer with refunds and no
-- purchase by the month end is refund_only (not a prospect: they bought before the data).
-- A buyer is live (new, active or at risk) or churned. Over each month:
--   flow_new          first purchase in the month (no purchase at the previous month end);
--   flow_reactivated  churned at the previous month end, live at this one;
--   flow_churned      live at the previous month end, churned at this one;
--   flow_retained     live at both.
-- So live_at_start + flow_new + flow_reactivated - flow_churned = live_at_end, every month.
-- Parameters: $as_of (date), $start_month (date, first of a month), $new_days,
-- $at_risk_min_days, $at_risk_gap_multiple, $churned_days ($churned_days > 31, so a first
-- purchase cannot churn within its own month).
with

customers as (
    select customer_id, signed_up_at::date as signed_up_on from customers
),

-- the first month with a customer signed up or an order made by the as-of date ($start_month
-- when there is none, so the window is never empty)
data_start as (
    select
        coalesce(
            date_trunc(
                'month',
                least(
                    (select min(signed_up_on) from customers where signed_up_on <= $as_of::date),
                    (select min(ordered_on) from {{ stg_orders }})
                )
            )::date,
            $start_month::date
        ) as month
),

snapshots as (
    select
        month,
        least(last_day(month), $as_of::date) as day,
        (month - interval 1 day)::date as previous_day
    from (
        select
            unnest(
                generate_series(
                    greatest($start_month::date, (select month from data_start)),
                    date_trunc('month', $as_of::date),
                    interval 1 month
                )
            )::date as month
    )
),

purchase_days as (
    select customer_id, purchased_on from {{ stg_purchase_days }}
),

refund_starts as (
    select customer_id, min(ordered_on) as first_refund_on
    from {{ stg_orders }}
    where is_refund
    group by customer_id
),

purchase_months as (
    select
        customer_id,
        date_trunc('month', purchased_on)::date as month,
        min(purchased_on) as first_purchase_in_month,
        max(purchased_on) as last_purchase_on,
        count(*) as purchase_days
    from purchase_days
    group by all
),

-- each customer's record after each month with a purchase: it holds until the next such
-- month (next_month), and the record before it is the state at that month's start
histories as (
    select
        customer_id,
        month,
        last_purchase_on,
        first_value(first_purchase_in_month) over w as first_purchase_on,
        sum(purchase_days) over w as count_purchase_days,
        lag(last_purchase_on) over w as previous_purchase_on,
        lead(month) over w as next_month
    from purchase_months
    window w as (partition by customer_id order by month)
),

buyer_snapshots as (
    select
        s.month,
        s.day,
        s.previous_day,
        h.month as record_month,
        h.first_purchase_on,
        h.last_purchase_on,
        h.count_purchase_days,
        h.previous_purchase_on,
        date_diff('day', h.last_purchase_on, s.day) as days_since_purchase,
        greatest(
            $at_risk_min_days,
            $at_risk_gap_multiple
            * coalesce(
                date_diff('day', h.first_purchase_on, h.last_purchase_on)
                / nullif(h.count_purchase_days - 1, 0),
                0
            )
        ) as at_risk_after_days
    from snapshots as s
    inner join histories as h
        on s.month >= h.month and (h.next_month is null or s.month < h.next_month)
),

buyer_states as (
    select
        month,
        case
            when days_since_purchase > $churned_days then 'churned'
            when days_since_purchase > at_risk_after_days then 'at_risk'
            when count_purchase_days = 1
                or date_diff('day', first_purchase_on, day) <= $new_days then 'new'
            else 'active'
        end as stage,
        case
            when record_month < month then
                case
                    when date_diff('day', last_purchase_on, previous_day) > $churned_days
                        then 'churned'
                    else 'live'
                end
            when previous_purchase_on is null then 'none'
            when date_diff('day', previous_purchase_on, previous_day) > $churned_days
                then 'churned'
            else 'live'
        end as previous_state
    from buyer_snapshots
),

buyer_counts as (
    select
        month,
        count(*) filter (where stage = 'new') as new,
        count(*) filter (where stage = 'active') as active,
        count(*) filter (where stage = 'at_risk') as at_risk,
        count(*) filter (where stage = 'churned') as churned,
        count(*) filter (where previous_state = 'none' and stage <> 'churned') as flow_new,
        count(*) filter (where previous_state = 'churned' and stage <> 'churned')
            as flow_reactivated,
        count(*) filter (where previous_state = 'live' and stage = 'churned') as flow_churned,
        count(*) filter (where previous_state = 'live' and stage <> 'churned') as flow_retained
    from buyer_states
    group by month
),

acquisitions as (
    select
        least(c.signed_up_on, f.first_purchase_on) as acquired_on,
        f.first_purchase_on
    from customers as c
    left join (
        select customer_id, min(first_purchase_in_month) as first_purchase_on
        from purchase_months
        group by customer_id
    ) as f on f.customer_id = c.customer_id
),

monthly_acquisitions as (
    select
        date_trunc('month', acquired_on)::date as month,
        count(*) as acquired,
        0 as first_buyers
    from acquisitions
    where acquired_on <= $as_of::date
    group by all
    union all
    select
        date_trunc('month', first_purchase_on)::date as month,
        0 as acquired,
        count(*) as first_buyers
    from acquisitions
    where first_purchase_on is not null
    group by all
),

refund_only as (
    select s.month, count(*) as refund_only
    from snapshots as s
    inner join refund_starts as r on r.first_refund_on <= s.day
    inner join customers as c on c.customer_id = r.customer_id
    left join (
        select customer_id, min(first_purchase_in_month) as first_purchase_on
        from purchase_months
        group by customer_id
    ) as f on f.customer_id = r.customer_id
    where
        (f.first_purchase_on is null or f.first_purchase_on > s.day)
        and c.signed_up_on <= s.day
    group by s.month
),

prospects as (
    select
        s.month,
        coalesce(sum(m.acquired) - sum(m.first_buyers), 0) as prospect
    from snapshots as s
    left join monthly_acquisitions as m on m.month <= s.month
    group by s.month
),

final as (
    select
        s.month,
        s.day,
        s.day < last_day(s.month) as is_partial,
        (coalesce(p.prospect, 0) - coalesce(r.refund_only, 0))::bigint as prospect,
        coalesce(b.new, 0) as new,
        coalesce(b.active, 0) as active,
        coalesce(b.at_risk, 0) as at_risk,
        coalesce(b.churned, 0) as churned,
        coalesce(r.refund_only, 0) as refund_only,
        coalesce(b.flow_retained, 0) + coalesce(b.flow_churned, 0) as live_at_start,
        coalesce(b.flow_new, 0) as flow_new,
        coalesce(b.flow_reactivated, 0) as flow_reactivated,
        coalesce(b.flow_churned, 0) as flow_churned,
        coalesce(b.flow_retained, 0) as flow_retained,
        coalesce(b.new, 0) + coalesce(b.active, 0) + coalesce(b.at_risk, 0) as live_at_end
    from snapshots as s
    left join prospects as p on p.month = s.month
    left join refund_only as r on r.month = s.month
    left join buyer_counts as b on b.month = s.month
)

select * from final
order by month
