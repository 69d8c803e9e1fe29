-- stg_trailing_orders: one row per order (stg_orders as of the as-of date) of the two
-- trailing periods of stg_windows, with is_current: in the 12 months ending on the as-of date
-- (else in the 12 months before them).
-- Parameters: $as_of (date).
with

windows as (
    select * from {{ stg_windows }}
),

orders as (
    select * from {{ stg_orders }}
),

final as (
    select o.*, o.ordered_at >= w.current_start as is_current
    from orders as o, windows as w
    where o.ordered_at >= w.previous_start
)

select * from final
