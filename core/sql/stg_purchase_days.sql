-- stg_purchase_days: one row per customer, purchase day and version. A purchase day is a
-- calendar day with at least one order that is not a refund (net value >= 0:
-- stg_orders.is_purchase); spend = the net value of all that day's orders (a refund on the
-- same day reduces it); count_orders = the day's orders. Refund-only days are not purchase
-- days. A day changes when one of its orders does (a version of stg_orders), so a day may
-- be a purchase day as of one date and not as of a later one: a version holds the day as
-- known at the end of each day from valid_from to the day before valid_to (null: today's).
-- BTYD summary, customer features, churn features, the model-health holdout and the loyalty
-- history all count purchases with it.
-- Most days have one version (none of their orders changed): one aggregation; only the days
-- of an order that changed are summed at each change.
-- Built as a table by `core build` from the stg_orders table; read as of a date through the
-- stg_purchase_days_at(as_of) macro (see core/sql/__init__.py).
-- No parameters: every version of every purchase day.
with

orders as (
    select * from {{ stg_orders }}
),

changing_days as (
    select distinct customer_id, ordered_on
    from orders
    where valid_to is not null
),

steady_days as (
    select
        o.customer_id,
        o.ordered_on as purchased_on,
        sum(o.amount::decimal(38, 6))::double as spend,
        count(*) filter (where o.is_purchase) as count_orders,
        o.ordered_on as valid_from,
        null::date as valid_to
    from orders as o
    anti join changing_days as c
        on c.customer_id = o.customer_id and c.ordered_on = o.ordered_on
    group by o.customer_id, o.ordered_on
),

changes as (
    select distinct o.customer_id, o.ordered_on, o.valid_from as changed_on
    from orders as o
    semi join changing_days as c
        on c.customer_id = o.customer_id and c.ordered_on = o.ordered_on
),

changing_states as (
    select
        c.customer_id,
        c.ordered_on as purchased_on,
        c.changed_on,
        sum(o.amount::decimal(38, 6))::double as spend,
        count(*) filter (where o.is_purchase) as count_orders
    from changes as c
    inner join orders as o
        on o.customer_id = c.customer_id
        and o.ordered_on = c.ordered_on
        and o.valid_from <= c.changed_on
        and (o.valid_to is null or c.changed_on < o.valid_to)
    group by c.customer_id, c.ordered_on, c.changed_on
),

changing_versions as (
    select
        customer_id,
        purchased_on,
        spend,
        count_orders,
        changed_on as valid_from,
        lead(changed_on) over (
            partition by customer_id, purchased_on order by changed_on
        ) as valid_to
    from changing_states
),

final as (
    select * from steady_days
    where count_orders > 0
    union all
    select * from changing_versions
    where count_orders > 0
)

select * from final
