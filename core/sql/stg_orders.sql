-- stg_orders: one row per order and version, the one definition of an order every mart and
-- model reads. An order is the lines (transactions) sharing an order_id; a line without one
-- is an order of its own, keyed by its transaction_id. An order changes on each later day
-- one of its lines falls on (a refund line two weeks after the sale): a version holds the
-- order as known at the end of each day from valid_from (the day of its latest line) to the
-- day before valid_to (the day of its next line; null for the version known today):
--   ordered_at  the order's first line; amount the net value of its lines up to valid_from
--               (refund lines reduce it), summed as decimals so that repeated runs agree
--               to the bit; margin = amount - cost over the lines with a cost (null when no
--               line has one); count_lines the lines so far;
--   is_purchase net value >= 0: an order (a free order counts, as in the published BG/NBD
--               recipe on CDNOW). is_refund: net value < 0, a refund (a refund-only
--               order, or one returned for more than it cost): not an order, though its
--               value still counts in revenue.
-- Most orders have one version (their lines share a day): those come from one aggregation,
-- and only the orders whose lines span days are summed day by day.
-- Built as a table by `core build`; read as of a date through the stg_orders_at(as_of)
-- macro, which keeps the version valid at the end of that day (see core/sql/__init__.py).
-- No parameters: every version of every order.
with

lines as (
    select
        customer_id,
        coalesce(order_id, transaction_id) as order_key,
        ordered_at,
        ordered_at::date as line_on,
        amount::decimal(38, 6) as amount,
        (amount - cost)::decimal(38, 6) as margin
    from transactions
),

orders as (
    select
        customer_id,
        order_key,
        min(ordered_at) as ordered_at,
        sum(amount) as amount,
        sum(margin) as margin,
        count(*) as count_lines,
        max(line_on) as last_line_on
    from lines
    group by customer_id, order_key
),

spanning_orders as (
    select customer_id, order_key, ordered_at
    from orders
    where last_line_on > ordered_at::date
),

spanning_days as (
    select
        l.customer_id,
        l.order_key,
        l.line_on,
        sum(l.amount) as amount,
        sum(l.margin) as margin,
        count(*) as count_lines
    from lines as l
    inner join spanning_orders as s
        on s.customer_id = l.customer_id and s.order_key = l.order_key
    group by l.customer_id, l.order_key, l.line_on
),

versions as (
    select
        customer_id,
        order_key,
        ordered_at,
        amount,
        margin,
        count_lines,
        ordered_at::date as valid_from,
        null::date as valid_to
    from orders
    where last_line_on = ordered_at::date
    union all
    select
        d.customer_id,
        d.order_key,
        s.ordered_at,
        sum(d.amount) over so_far as amount,
        sum(d.margin) over so_far as margin,
        (sum(d.count_lines) over so_far)::bigint as count_lines,
        d.line_on as valid_from,
        lead(d.line_on) over so_far as valid_to
    from spanning_days as d
    inner join spanning_orders as s
        on s.customer_id = d.customer_id and s.order_key = d.order_key
    window so_far as (partition by d.customer_id, d.order_key order by d.line_on)
),

final as (
    select
        customer_id,
        order_key,
        ordered_at,
        ordered_at::date as ordered_on,
        amount::double as amount,
        margin::double as margin,
        count_lines,
        amount >= 0 as is_purchase,
        amount < 0 as is_refund,
        valid_from,
        valid_to
    from versions
)

select * from final
