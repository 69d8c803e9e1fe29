-- stg_windows: one row, the two trailing periods the headline figures compare: the 12 months
-- ending on the as-of date (from current_start to current_end, the end of the as-of day) and
-- the 12 months before them (from previous_start to current_start). Timestamps, each period
-- from its start (included) to its end (left out), so `ordered_at >= current_start` reads
-- "on or after its first day".
-- Parameters: $as_of (date).
with

final as (
    select
        $as_of::date - interval 2 year + interval 1 day as previous_start,
        $as_of::date - interval 1 year + interval 1 day as current_start,
        $as_of::date + interval 1 day as current_end
)

select * from final
