-- churn_history: one row per event that churn_features reads, of every customer with a
-- purchase day (churn_purchasers), for every cut-off date at once: `n` is the customer's
-- position in churn_purchasers (from 0), `event` says what the row is and the other columns
-- hold what churn_features needs of it (days as whole days since 1970-01-01, a missing day
-- as 2^31 - 1, never reached; a time of day matters only in ordering a customer's feedback):
--   0 a purchase day version (stg_purchase_days): on_day = purchased_on, valid from
--     valid_from to the day before valid_to (null: 2^31 - 1), spend_millionths = the
--     spend in whole millionths (staging keeps 6 decimals: the spend as decimal(38, 6));
--   1 a refund order version (stg_orders, is_refund): on_day = ordered_at's day, validity
--     alike;
--   2 an inbound inquiry (interactions: kind 'inquiry', direction not 'outbound'):
--     on_day = occurred_at's day;
--   3 a feedback row: on_day = submitted_at's day, submitted_us = submitted_at in
--     microseconds since 1970, csat and nps (NaN: none), is_complaint, resolved_on (null:
--     2^31 - 1), tie = the rank of its feedback_id (of answers at the same time, the one
--     with the greatest id is the latest, as in churn_features.sql).
-- Rows in order of event and n (two whole-number keys, which DuckDB sorts fast; the Python
-- side orders a customer's feedback by time itself).
-- The Python side (core/churn.py: ChurnHistory) cuts these at each cut-off date as
-- churn_features.sql cuts the tables; tests/core/test_churn_history.py pins the two.
-- No parameters.
with

purchase_days as not materialized (
    -- read twice (purchasers, events): scanning the table twice is cheaper than the copy
    -- DuckDB makes of a CTE read twice
    select * from {{ stg_purchase_days versions }}
),

orders as (
    select * from {{ stg_orders versions }}
),

purchasers as materialized (
    select customer_id, row_number() over (order by customer_id) - 1 as n
    from (select distinct customer_id from purchase_days)
),

events as (
    select
        p.n,
        0 as event,
        d.purchased_on - date '1970-01-01' as on_day,
        null::bigint as submitted_us,
        d.valid_from - date '1970-01-01' as valid_from,
        coalesce(d.valid_to - date '1970-01-01', 2147483647) as valid_to,
        round(d.spend * 1000000)::bigint as spend_millionths,
        null::double as csat,
        null::double as nps,
        null::boolean as is_complaint,
        null::bigint as resolved_on,
        null::bigint as tie
    from purchase_days as d
    inner join purchasers as p on p.customer_id = d.customer_id
    union all
    select
        p.n,
        1 as event,
        o.ordered_at::date - date '1970-01-01',
        null,
        o.valid_from - date '1970-01-01',
        coalesce(o.valid_to - date '1970-01-01', 2147483647),
        null,
        null,
        null,
        null,
        null,
        null
    from orders as o
    inner join purchasers as p on p.customer_id = o.customer_id
    where o.is_refund
    union all
    select p.n, 2, i.occurred_at::date - date '1970-01-01', null, null, null, null, null,
        null, null, null, null
    from interactions as i
    inner join purchasers as p on p.customer_id = i.customer_id
    where i.kind = 'inquiry' and i.direction is distinct from 'outbound'
    union all
    select
        p.n,
        3,
        f.submitted_at::date - date '1970-01-01',
        epoch_us(f.submitted_at),
        null,
        null,
        null,
        f.csat::double,
        f.nps::double,
        f.kind = 'complaint',
        coalesce(f.resolved_at::date - date '1970-01-01', 2147483647),
        dense_rank() over (order by f.feedback_id)
    from feedback as f
    inner join purchasers as p on p.customer_id = f.customer_id
),

final as (
    select
        n::integer as n,
        event::tinyint as event,
        coalesce(on_day, 2147483647)::integer as on_day,
        coalesce(valid_from, 0)::integer as valid_from,
        coalesce(valid_to, 2147483647)::integer as valid_to,
        coalesce(spend_millionths, 0) as spend_millionths,
        coalesce(csat, 'nan'::double) as csat,
        coalesce(nps, 'nan'::double) as nps,
        coalesce(is_complaint, false) as is_complaint,
        coalesce(resolved_on, 2147483647)::integer as resolved_on,
        coalesce(submitted_us, 0) as submitted_us,
        coalesce(tie, 0) as tie
    from events
)

select * from final
order by event, n
