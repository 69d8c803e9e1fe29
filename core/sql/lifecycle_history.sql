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
-- summed once by month into a record per customer and month with a purchase, which holds
-- until the customer's next such month. A customer with only such days is not taken at
-- every month end: within a record's months the stage only moves on (new, active, at
-- risk, churned) on days the rules give, so each stage's months are a span, counted by
-- +1 where it starts and -1 where it ends, and the flows fall in the record's own month
-- (in) or the month it churns (out). Only the customers with a changing day are taken at
-- each month end (their changing days as they stood then, added to the rest) and at its
-- start.
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
    -- customer_no: a number to group and order a customer's months by (a number is hashed and
    -- sorted faster than the text id; the customers may be a view, which has no rowid)
    select customer_id, signed_up_at::date as signed_up_on, row_number() over () as customer_no
    from customers
),

orders as not materialized (
    -- every order known by the as-of date (its first version starts on its first day); read
    -- twice, and two scans of the table cost less than the copy DuckDB makes of a CTE
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
    -- purchase days, with the first state day that sees the day
    select
        customer_id,
        purchased_on,
        valid_from,
        case when valid_to <= $as_of::date then valid_to end as valid_to,
        greatest(
            least(last_day(purchased_on), $as_of::date), (select min(day) from state_days)
        ) as first_seen_on
    from {{ stg_purchase_days versions }}
    where valid_from <= $as_of::date
),

changing_days as materialized (
    -- the purchase days that change (or stop or start being purchase days) after the
    -- first state day that sees them
    select distinct customer_id, purchased_on
    from purchase_day_versions
    where
        coalesce(valid_to, valid_from) > first_seen_on
        and customer_id in (select customer_id from customers)
),

-- every other purchase day is a purchase day at every state day from its first; the
-- changing days are kept beside them (is_changing), to mark their customers
month_days as (
    select v.customer_id, v.purchased_on, false as is_changing
    from purchase_day_versions as v
    anti join changing_days as c
        on c.customer_id = v.customer_id and c.purchased_on = v.purchased_on
    where v.valid_to is null
    union all
    select customer_id, purchased_on, true as is_changing
    from changing_days
),

purchase_months as (
    -- per customer (of the customers table, by number) and month: the steady days
    select
        c.customer_no,
        date_trunc('month', d.purchased_on)::date as month,
        min(d.purchased_on) filter (where not d.is_changing) as first_purchase_in_month,
        max(d.purchased_on) filter (where not d.is_changing) as last_purchase_on,
        count(*) filter (where not d.is_changing) as purchase_days
    from month_days as d
    inner join customers as c on c.customer_id = d.customer_id
    group by all
),

changing_customers as (
    select distinct c.customer_no
    from changing_days as d
    inner join customers as c on c.customer_id = d.customer_id
),

-- each customer's record of steady days after each month with one: it holds until the
-- next such month (next_month), and the record before it held at this month's start;
-- is_changing: the customer has a changing day (months with only changing days hold no
-- record and are skipped)
histories as (
    select
        customer_no,
        month,
        last_purchase_on,
        purchase_days,
        first_value(first_purchase_in_month ignore nulls) over w as first_purchase_on,
        sum(purchase_days) over w as count_purchase_days,
        lag(last_purchase_on ignore nulls) over w as previous_purchase_on,
        lead(case when purchase_days > 0 then month end ignore nulls) over w as next_month,
        customer_no in (select customer_no from changing_customers) as is_changing
    from purchase_months
    window w as (partition by customer_no order by month)
),

bounds as (
    select
        min(month) as first_month,
        (max(month) + interval 1 month)::date as end_month
    from snapshots
),

-- the customers with steady days only (nearly all): each record holds over the month ends
-- from its month (or the first month) to the month of the next record (hi, exclusive).
-- Within them the stage moves on at most three times, on the first day with more days
-- since a purchase than a rule allows (customer_stages.sql: more than x days is at least
-- floor(x) + 1 whole days): active (more than one purchase day, and $new_days since the
-- first), at risk, churned
steady_thresholds as (
    select
        month as purchase_month,
        greatest(h.month, b.first_month) as lo,
        coalesce(h.next_month, b.end_month) as hi,
        b.end_month,
        previous_purchase_on,
        case
            when count_purchase_days > 1
                then first_purchase_on + (floor($new_days)::integer + 1)
        end as active_on,
        last_purchase_on + (
            floor(greatest(
                $at_risk_min_days,
                $at_risk_gap_multiple
                * coalesce(
                    date_diff('day', first_purchase_on, last_purchase_on)
                    / nullif(count_purchase_days - 1, 0),
                    0
                )
            ))::integer + 1
        ) as at_risk_on,
        last_purchase_on + (floor($churned_days)::integer + 1) as churned_on
    from histories as h, bounds as b
    where not h.is_changing
),

-- the first month whose end is on or after each of those days (end_month: none by the
-- as-of date; the as-of month ends on the as-of date)
steady_spans as (
    select
        purchase_month,
        lo,
        hi,
        previous_purchase_on,
        case
            when active_on <= $as_of::date then date_trunc('month', active_on)::date
            else end_month
        end as active_from,
        case
            when at_risk_on <= $as_of::date then date_trunc('month', at_risk_on)::date
            else end_month
        end as at_risk_from,
        case
            when churned_on <= $as_of::date then date_trunc('month', churned_on)::date
            else end_month
        end as churned_from
    from steady_thresholds
    where lo < hi
),

-- the months of each stage within a record's months, [start, end): churned from
-- churned_from, at risk from at_risk_from until then, new until the first of the three
-- (new for good with one purchase day: active_from is end_month), active between
stage_spans as materialized (
    select
        purchase_month,
        lo,
        hi,
        previous_purchase_on,
        churned_from,
        least(active_from, at_risk_from, churned_from, hi) as new_end,
        greatest(lo, active_from) as active_start,
        least(at_risk_from, churned_from, hi) as active_end,
        greatest(lo, at_risk_from) as at_risk_start,
        least(churned_from, hi) as at_risk_end,
        greatest(lo, churned_from) as churned_start
    from steady_spans
),

-- +1 where a stage's months start, -1 where they end
stage_changes as (
    select lo as month, 'new' as stage, count(*) as change
    from stage_spans where lo < new_end group by all
    union all
    select new_end, 'new', -count(*)
    from stage_spans where lo < new_end group by all
    union all
    select active_start, 'active', count(*)
    from stage_spans where active_start < active_end group by all
    union all
    select active_end, 'active', -count(*)
    from stage_spans where active_start < active_end group by all
    union all
    select at_risk_start, 'at_risk', count(*)
    from stage_spans where at_risk_start < at_risk_end group by all
    union all
    select at_risk_end, 'at_risk', -count(*)
    from stage_spans where at_risk_start < at_risk_end group by all
    union all
    select churned_start, 'churned', count(*)
    from stage_spans where churned_start < hi group by all
    union all
    select hi, 'churned', -count(*)
    from stage_spans where churned_start < hi group by all
),

steady_stages as (
    select
        s.month,
        coalesce(sum(c.change) filter (where c.stage = 'new'), 0) as new,
        coalesce(sum(c.change) filter (where c.stage = 'active'), 0) as active,
        coalesce(sum(c.change) filter (where c.stage = 'at_risk'), 0) as at_risk,
        coalesce(sum(c.change) filter (where c.stage = 'churned'), 0) as churned
    from snapshots as s
    inner join stage_changes as c on c.month <= s.month
    group by s.month
),

-- the flows of the steady customers: the month of a purchase, the record's own month, is
-- the only month a customer can come in (new: no purchase before; reactivated: churned at
-- the month's start) and, live at its end (more than 31 days to churn), not go out; a
-- record goes out (churned) in its month churned_from
steady_purchase_flows as (
    select
        purchase_month as month,
        count(*) filter (
            where previous_purchase_on is null and purchase_month < churned_from
        ) as flow_new,
        count(*) filter (
            where date_diff('day', previous_purchase_on, (purchase_month - interval 1 day)::date)
                > $churned_days
            and purchase_month < churned_from
        ) as flow_reactivated,
        count(*) filter (
            where date_diff('day', previous_purchase_on, (purchase_month - interval 1 day)::date)
                <= $churned_days
            and purchase_month >= churned_from
        ) as flow_churned
    from stage_spans
    where lo = purchase_month
    group by all
),

steady_churn_flows as (
    select churned_from as month, count(*) as flow_churned
    from stage_spans
    where churned_from > purchase_month and churned_from >= lo and churned_from < hi
    group by all
),

steady_counts as (
    select
        s.month,
        st.new + st.active + st.at_risk + st.churned as buyers,
        st.new,
        st.active,
        st.at_risk,
        st.churned,
        coalesce(p.flow_new, 0) as flow_new,
        coalesce(p.flow_reactivated, 0) as flow_reactivated,
        coalesce(p.flow_churned, 0) + coalesce(c.flow_churned, 0) as flow_churned,
        st.new + st.active + st.at_risk
            - coalesce(p.flow_new, 0) - coalesce(p.flow_reactivated, 0) as flow_retained
    from snapshots as s
    inner join steady_stages as st on st.month = s.month
    left join steady_purchase_flows as p on p.month = s.month
    left join steady_churn_flows as c on c.month = s.month
),

changing_histories as materialized (
    select c.customer_id, h.*
    from histories as h
    inner join customers as c on c.customer_no = h.customer_no
    where h.is_changing and h.purchase_days > 0
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

changing_states as (
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
        from changing_snapshots
    )
),

changing_counts as (
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
    from changing_states
    group by month
),

buyer_counts as (
    select
        month,
        sum(buyers) as buyers,
        sum(new) as new,
        sum(active) as active,
        sum(at_risk) as at_risk,
        sum(churned) as churned,
        sum(flow_new) as flow_new,
        sum(flow_reactivated) as flow_reactivated,
        sum(flow_churned) as flow_churned,
        sum(flow_retained) as flow_retained
    from (
        select * from steady_counts
        union all
        select * from changing_counts
    )
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
