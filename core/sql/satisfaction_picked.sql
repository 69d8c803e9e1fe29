-- satisfaction_picked: one row per customer behind a point the reader picked on the
-- Satisfaction page's charts, with how many of the picked feedback rows are theirs and
-- when the latest was submitted. $pick says which rows:
-- 'answers': answers with a CSAT or an NPS score submitted in month $month, of group $key
--   under $by (as in satisfaction_monthly.sql);
-- 'complaints': complaints submitted in month $month, of category $key (null: every one;
--   'unspecified' when none is given);
-- 'backlog': complaints open at the end of the as-of date (as in complaint_backlog.sql)
--   aged $age_from days or more and under $age_to (null: no upper bound).
-- The customer's city and acquisition channel are the customers table's, their stars
-- customer_extras' (null until stars are built). With the page's filters,
-- `/* and chosen(column) */` keeps the chosen customers' rows; else it is a comment.
-- Parameters: $as_of, $pick, $by, $key, $month, $age_from, $age_to.
with

extras as (
    select * from customer_extras
),

customers as (
    select customer_id, city, acquisition_channel from customers
),

feedback as (
    select
        f.customer_id,
        f.kind,
        f.submitted_at,
        f.csat,
        f.nps,
        coalesce(f.category, 'unspecified') as category,
        f.resolved_at,
        date_trunc('month', f.submitted_at)::date as month,
        date_diff('second', f.submitted_at, $as_of::date + interval 1 day) / 86400.0 as age_days,
        case $by
            when 'channel' then coalesce(f.channel, 'unknown')
            when 'category' then coalesce(f.category, 'unspecified')
            when 'stars' then coalesce(x.stars::varchar, 'unrated')
            else 'all'
        end as group_key
    from feedback as f
    left join extras as x on x.customer_id = f.customer_id
    where
        f.submitted_at < $as_of::date + interval 1 day
        /* and chosen(f.customer_id) */
),

picked as (
    select * from feedback
    where
        case $pick
            when 'answers' then
                (csat is not null or nps is not null)
                and month = $month::date
                and group_key = $key
            when 'complaints' then
                kind = 'complaint'
                and month = $month::date
                and ($key is null or category = $key)
            when 'backlog' then
                kind = 'complaint'
                and (resolved_at is null or resolved_at >= $as_of::date + interval 1 day)
                and age_days >= $age_from
                and ($age_to is null or age_days < $age_to)
            else false
        end
),

per_customer as (
    select
        customer_id,
        count(*) as picked,
        max(submitted_at) as last_submitted_at
    from picked
    group by customer_id
),

final as (
    select
        p.customer_id,
        c.city,
        c.acquisition_channel,
        x.stars,
        p.picked,
        p.last_submitted_at
    from per_customer as p
    left join customers as c on c.customer_id = p.customer_id
    left join extras as x on x.customer_id = p.customer_id
)

select * from final
order by picked desc, last_submitted_at desc, customer_id
