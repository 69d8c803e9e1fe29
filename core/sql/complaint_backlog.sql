-- complaint_backlog: one row per complaint still open at the end of the as-of date
-- (submitted by then, not resolved by then): its category and age in days at that moment.
-- Parameters: $as_of (date). With the page's filters, `/* and chosen(column) */` keeps the
-- chosen customers' complaints; else it is a comment.
with

complaints as (
    select * from feedback
    where
        kind = 'complaint' and submitted_at < $as_of::date + interval 1 day
        /* and chosen(customer_id) */
),

final as (
    select
        feedback_id,
        customer_id,
        coalesce(category, 'unspecified') as category,
        submitted_at,
        date_diff('second', submitted_at, $as_of::date + interval 1 day) / 86400.0 as age_days
    from complaints
    where resolved_at is null or resolved_at >= $as_of::date + interval 1 day
)

select * from final
order by submitted_at
