-- loyalty_history: one row per customer with a purchase day in the 2 x $period_days days up
-- to the as-of date: what the loyalty simulator's simple mode reads its fixed rates from.
-- Purchase days as staged (stg_purchase_days: a day with an order that is not a refund;
-- its spend is the net value of the day's orders).
-- repeat_days = purchase days after the customer's first one in the window; exposure_days =
-- from that first purchase day to the as-of date (repeat_days / exposure_days is the
-- purchase rate, free of the selection on having bought at all); spend = net amount of the
-- purchase days; bought_before / bought_after = a purchase day in the earlier / later
-- period of $period_days days (retention = after among before).
-- Parameters: $as_of (date), $period_days (integer).
with

windows as (
    select
        $as_of::date + 1 as window_end,
        $as_of::date + 1 - $period_days::integer as later_start,
        $as_of::date + 1 - 2 * $period_days::integer as window_start
),

purchase_days as (
    select p.customer_id, p.purchased_on, p.spend
    from {{ stg_purchase_days }} as p, windows as w
    where p.purchased_on >= w.window_start
),

final as (
    select
        p.customer_id,
        count(*) - 1 as repeat_days,
        date_diff('day', min(p.purchased_on), $as_of::date) as exposure_days,
        count(*) as purchase_days,
        sum(p.spend) as spend,
        bool_or(p.purchased_on < w.later_start) as bought_before,
        bool_or(p.purchased_on >= w.later_start) as bought_after
    from purchase_days as p, windows as w
    group by p.customer_id
)

select * from final
order by customer_id
