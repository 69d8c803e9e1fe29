-- btyd_summary: one row per customer with a purchase on or before the as-of date: the
-- BG/NBD and Gamma-Gamma inputs (Fader, Hardie & Lee 2005).
-- Purchase days as staged (stg_purchase_days: a day with an order that is not a refund;
-- its spend is the net value of the day's orders; refund-only days are not purchases).
-- frequency = purchase days - 1; recency = first to last purchase day; T = first purchase
-- day to the as-of date; monetary = mean spend per repeat purchase day (0 without repeats).
-- Times are in units of $unit_days days.
-- Parameters: $as_of (date; its purchases count), $unit_days (1 = days, 7 = weeks).
with

purchase_days as (
    select * from {{ stg_purchase_days }}
),

purchase_days_with_first as (
    select
        customer_id,
        purchased_on,
        spend,
        min(purchased_on) over (partition by customer_id) as first_purchased_on
    from purchase_days
),

per_customer as (
    select
        customer_id,
        count(*) - 1 as frequency,
        min(purchased_on) as first_purchased_on,
        max(purchased_on) as last_purchased_on,
        coalesce(sum(spend) filter (where purchased_on > first_purchased_on), 0) as repeat_spend
    from purchase_days_with_first
    group by customer_id
),

final as (
    select
        customer_id,
        frequency,
        date_diff('day', first_purchased_on, last_purchased_on)::double / $unit_days
            as recency,
        date_diff('day', first_purchased_on, $as_of::date)::double / $unit_days as "T",
        case when frequency > 0 then repeat_spend / frequency else 0.0 end as monetary
    from per_customer
)

select * from final
order by customer_id
