-- btyd_summary: one row per customer with a purchase on or before the as-of date: the
-- BG/NBD and Gamma-Gamma inputs (Fader, Hardie & Lee 2005).
-- Purchase days as staged (stg_purchase_days: a day with an order that is not a refund;
-- its spend is the net value of the day's orders; refund-only days are not purchases).
-- frequency = purchase days - 1; recency = first to last purchase day; T = first purchase
-- day to the as-of date; monetary = mean spend per repeat purchase day (0 without repeats).
-- Times are in units of $unit_days days.
-- One pass over the purchase days: the repeat spend is all the days' spend less the first
-- day's (arg_min), so no window finds the first day first (DuckDB runs such a window as a
-- self-join). Spends are summed as whole millionths (staging keeps 6 decimals; exact for
-- a day's spend below 4.5e9), so the sum is exact, the same in every run, and `sum - first`
-- loses nothing; a plain double sum differs by an ulp from run to run.
-- Parameters: $as_of (date; its purchases count), $unit_days (1 = days, 7 = weeks).
with

purchase_days as (
    select
        customer_id,
        purchased_on,
        round(spend * 1000000)::bigint as spend_millionths
    from {{ stg_purchase_days }}
),

per_customer as (
    select
        customer_id,
        count(*) - 1 as frequency,
        min(purchased_on) as first_purchased_on,
        max(purchased_on) as last_purchased_on,
        sum(spend_millionths) - arg_min(spend_millionths, purchased_on)
            as repeat_spend_millionths
    from purchase_days
    group by customer_id
),

final as (
    select
        customer_id,
        frequency,
        date_diff('day', first_purchased_on, last_purchased_on)::double / $unit_days
            as recency,
        date_diff('day', first_purchased_on, $as_of::date)::double / $unit_days as "T",
        case
            when frequency > 0 then repeat_spend_millionths::double / 1000000 / frequency
            else 0.0
        end as monetary
    from per_customer
)

select * from final
order by customer_id
