-- lifecycle_history: one row per month from $start_month (or, when later, the first month
-- with a customer or an order by the as-of date: months before the data hold nothing) to
-- the as-of month: customers in each lifecycle stage at the month's end (the as-of date
-- for the as-of month) and the month's flows of buyers. Each month end is a history of
-- what was known then: its stages are customer_stages.sql's with that day as the as-of
-- date (tests/core/test_lifecycle_history.py compares them on orders whose later lines
-- cross month ends, reading the staging tables and deriving from the lines).
-- Purchase days as staged, every version (stg_purchase_days versions, see
-- core/sql/__init__.py): each month end sees each purchase day as it stood at the end of
-- that day, so a refund line dated after a month end (the same order) is not seen at it.
-- Nearly every purchase day has one state at every month end that sees it (its orders
-- settle by the end of its month, or by the day before the first month): those are
-- summed once by month and rolled over the months, and a customer with only such days
-- takes the month's start from the same roll. Only the customers with a changing day are
-- taken at each month end (their changing days as they stood then, added to the rest)
-- and at its start.
-- A customer signed up with no order by the month end is a prospect; one with orders but
-- no purchase seen then is refund_only (refunds of goods bought before the data, or a
-- purchase since refunded: not a prospect, they have bought). A buyer is live (new,
-- active or at risk) or churned. Over each month:
--   flow_new          live at this month end, no purchase seen at the previous one;
--   flow_reactivated  churned at the previous month end, live at this one;
--   flow_churned      live at the previous month end, not at this one: churned, or no
--                     longer a buyer (every purchase seen then refunded since);
--   flow_retained     live at both.
-- So live_at_start + flow_new + flow_reactivated - flow_churned = live_at_end, every month.
-- Parameters: $as_of (date), $start_month (date, first of a month), $new_days,
-- $at_risk_min_days, $at_risk_gap_multiple, $churned_days ($churned_days > 31, so a first
-- purchase cannot churn within its own month).
with

customers as (
    select customer_id, signed_up_at::date as signed_up_on from customers
),

orders as (
    -- every order known by the as-of date (its first version starts on its first day)
    select customer_id, ordered_on
    from {{ stg_orders versions }}
    where valid_from <= $as_of::date
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
                    (select min(ordered_on) from orders)
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

-- the days a state is taken on: each month's end and the day before the first month
state_days as (
    select day, date_trunc('month', day)::date as month
    from (
        select day from snapshots
        union all
        select min(previous_day) from snapshots
    )
),

purchase_day_versions as (
    -- every version known by the as-of date (valid_to null: still valid then) of the
    -- customers' purchase days, with the first state day that sees the day
    select
        customer_id,
        purchased_on,
        valid_from,
        case when valid_to <= $as_of::date then valid_to end as valid_to,
        greatest(
            least(last_day(purchased_on), $as_of::date), (select min(day) from state_days)
        ) as first_seen_on
    from {{ stg_purchase_days versions }}
    where valid_from <= $as_of::date and customer_id in (select customer_id from customers)
),

changing_days as (
    -- the purchase days that change (or stop or start being purchase days) after the
    -- first state day that sees them
    select distinct customer_id, purchased_on
    from purchase_day_versions
    where coalesce(valid_to, valid_from) > first_seen_on
),

steady_days as (
    -- every other purchase day, a purchase day at every state day from its first
    select v.customer_id, v.purchased_on
    from purchase_day_versions as v
    anti join changing_days as c
        on c.customer_id = v.customer_id and c.purchased_on = v.purchased_on
    where v.valid_to is null
),

purchase_months as (
    select
        customer_id,
        date_trunc('month', purchased_on)::date as month,
        min(purchased_on) as first_purchase_in_month,
        max(purchased_on) as last_purchase_on,
        count(*) as purchase_days
    from steady_days
    group by all
),

changing_customers as (
    select distinct customer_id from changing_days
),

-- each customer's record of steady days after each month with one: it holds until the
-- next such month (next_month), and the record before it held at this month's start
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

-- the histories of the customers with steady days only (nearly all) and of the others
-- (materialized, so cut before they are joined to the months)
steady_histories as materialized (
    select h.*
    from histories as h
    anti join changing_customers as c on c.customer_id = h.customer_id
),

changing_histories as materialized (
    select h.*
    from histories as h
    semi join changing_customers as c on c.customer_id = h.customer_id
),

-- their record at each month end and their last purchase at the month's start, read from
-- their histories alone
steady_snapshots as (
    select
        s.month,
        s.day,
        s.previous_day,
        h.customer_id,
        h.first_purchase_on,
        h.last_purchase_on,
        h.count_purchase_days,
        case
            when h.month < s.month then h.last_purchase_on else h.previous_purchase_on
        end as previous_purchase_on
    from snapshots as s
    inner join steady_histories as h
        on s.month >= h.month and (h.next_month is null or s.month < h.next_month)
),

-- the customers with a changing day: their steady days and their changing days as they
-- stood at each state day
changing_customer_records as (
    select d.day, h.customer_id, h.first_purchase_on, h.last_purchase_on, h.count_purchase_days
    from state_days as d
    inner join changing_histories as h
        on d.month >= h.month and (h.next_month is null or d.month < h.next_month)
),

changing_versions as materialized (
    -- the versions of the changing days (materialized: few, so joined to the state days
    -- after this cut, not before)
    select v.customer_id, v.purchased_on, v.valid_from, v.valid_to
    from purchase_day_versions as v
    semi join changing_days as c
        on c.customer_id = v.customer_id and c.purchased_on = v.purchased_on
),

changing_day_records as (
    select
        d.day,
        v.customer_id,
        min(v.purchased_on) as first_purchase_on,
        max(v.purchased_on) as last_purchase_on,
        count(*) as count_purchase_days
    from changing_versions as v
    inner join state_days as d
        on v.valid_from <= d.day and (d.day < v.valid_to or v.valid_to is null)
    group by all
),

changing_records as (
    select
        coalesce(s.day, c.day) as day,
        coalesce(s.customer_id, c.customer_id) as customer_id,
        least(s.first_purchase_on, c.first_purchase_on) as first_purchase_on,
        greatest(s.last_purchase_on, c.last_purchase_on) as last_purchase_on,
        coalesce(s.count_purchase_days, 0) + coalesce(c.count_purchase_days, 0)
            as count_purchase_days
    from changing_customer_records as s
    full join changing_day_records as c on c.day = s.day and c.customer_id = s.customer_id
),

changing_months as (
    -- the months a customer is a buyer at the end or at the start of
    select s.month, r.customer_id
    from snapshots as s
    inner join changing_records as r on r.day = s.day
    union
    select s.month, r.customer_id
    from snapshots as s
    inner join changing_records as r on r.day = s.previous_day
),

changing_snapshots as (
    -- the record at the month end (null: not a buyer then) and the last purchase at the
    -- month's start
    select
        s.month,
        s.day,
        s.previous_day,
        m.customer_id,
        r.first_purchase_on,
        r.last_purchase_on,
        r.count_purchase_days,
        p.last_purchase_on as previous_purchase_on
    from changing_months as m
    inner join snapshots as s on s.month = m.month
    left join changing_records as r on r.customer_id = m.customer_id and r.day = s.day
    left join changing_records as p on p.customer_id = m.customer_id and p.day = s.previous_day
),

buyer_snapshots as (
    select * from steady_snapshots
    union all
    select * from changing_snapshots
),

buyer_states as (
    select
        month,
        stage,
        stage in ('new', 'active', 'at_risk') as is_live,
        case
            when previous_purchase_on is null then 'none'
            when date_diff('day', previous_purchase_on, previous_day) > $churned_days
                then 'churned'
            else 'live'
        end as previous_state
    from (
        select
            *,
            case
                when count_purchase_days is null then null
                when date_diff('day', last_purchase_on, day) > $churned_days then 'churned'
                when
                    date_diff('day', last_purchase_on, day) > greatest(
                        $at_risk_min_days,
                        $at_risk_gap_multiple
                        * coalesce(
                            date_diff('day', first_purchase_on, last_purchase_on)
                            / nullif(count_purchase_days - 1, 0),
                            0
                        )
                    )
                    then 'at_risk'
                when count_purchase_days = 1
                    or date_diff('day', first_purchase_on, day) <= $new_days then 'new'
                else 'active'
            end as stage
        from buyer_snapshots
    )
),

buyer_counts as (
    select
        month,
        count(stage) as buyers,
        count(*) filter (where stage = 'new') as new,
        count(*) filter (where stage = 'active') as active,
        count(*) filter (where stage = 'at_risk') as at_risk,
        count(*) filter (where stage = 'churned') as churned,
        count(*) filter (where previous_state = 'none' and is_live) as flow_new,
        count(*) filter (where previous_state = 'churned' and is_live) as flow_reactivated,
        count(*) filter (where previous_state = 'live' and not coalesce(is_live, false))
            as flow_churned,
        count(*) filter (where previous_state = 'live' and is_live) as flow_retained
    from buyer_states
    group by month
),

first_orders as (
    select customer_id, min(ordered_on) as first_order_on
    from orders
    group by customer_id
),

-- the days customers start and stop being prospects (signed up, no order yet) and have
-- their first order
acquisition_days as (
    select
        day,
        count(*) filter (where event = 'signed_up') as signed_up,
        count(*) filter (where event = 'no_longer_prospect') as no_longer_prospects,
        count(*) filter (where event = 'first_order') as first_orders
    from (
        select c.signed_up_on as day, 'signed_up' as event
        from customers as c
        union all
        select greatest(c.signed_up_on, f.first_order_on), 'no_longer_prospect'
        from customers as c
        inner join first_orders as f on f.customer_id = c.customer_id
        union all
        select f.first_order_on, 'first_order'
        from customers as c
        inner join first_orders as f on f.customer_id = c.customer_id
    )
    group by day
),

-- prospects and the customers with an order, at each month end
acquired as (
    select
        s.month,
        sum(a.signed_up) - sum(a.no_longer_prospects) as prospect,
        sum(a.first_orders) as with_orders
    from snapshots as s
    inner join acquisition_days as a on a.day <= s.day
    group by s.month
),

final as (
    select
        s.month,
        s.day,
        s.day < last_day(s.month) as is_partial,
        coalesce(a.prospect, 0) as prospect,
        coalesce(b.new, 0) as new,
        coalesce(b.active, 0) as active,
        coalesce(b.at_risk, 0) as at_risk,
        coalesce(b.churned, 0) as churned,
        coalesce(a.with_orders, 0) - coalesce(b.buyers, 0) as refund_only,
        coalesce(b.flow_retained, 0) + coalesce(b.flow_churned, 0) as live_at_start,
        coalesce(b.flow_new, 0) as flow_new,
        coalesce(b.flow_reactivated, 0) as flow_reactivated,
        coalesce(b.flow_churned, 0) as flow_churned,
        coalesce(b.flow_retained, 0) as flow_retained,
        coalesce(b.new, 0) + coalesce(b.active, 0) + coalesce(b.at_risk, 0) as live_at_end
    from snapshots as s
    left join acquired as a on a.month = s.month
    left join buyer_counts as b on b.month = s.month
)

select * from final
order by month
