-- complaints_monthly: one row per month (from $start_month to the as-of month) and
-- complaint category ('unspecified' when none is given), and one row per month for all
-- categories together (category null, is_total): complaints submitted, those
-- resolved by the end of the as-of date, those resolved within $sla_hours hours, and the
-- median hours to resolution of the resolved ones. Months without complaints are zeros.
-- Parameters: $as_of (date), $start_month (date), $sla_hours. With the page's filters,
-- `/* and chosen(column) */` keeps the chosen customers' complaints; else it is a comment.
with

months as (
    select
        unnest(
            generate_series($start_month::date, date_trunc('month', $as_of::date), interval 1 month)
        )::date as month
),

complaints as (
    select
        date_trunc('month', submitted_at)::date as month,
        coalesce(category, 'unspecified') as category,
        case
            when resolved_at < $as_of::date + interval 1 day
                then greatest(date_diff('second', submitted_at, resolved_at), 0) / 3600.0
        end as resolution_hours
    from feedback
    where
        kind = 'complaint'
        and submitted_at >= $start_month::date
        and submitted_at < $as_of::date + interval 1 day
        /* and chosen(customer_id) */
),

per_month as (
    select
        month,
        category,
        count(*) as complaints,
        count(resolution_hours) as resolved,
        count(*) filter (where resolution_hours <= $sla_hours) as within_sla,
        median(resolution_hours) as median_resolution_hours
    from complaints
    group by grouping sets ((month, category), (month))
),

categories as (
    select distinct category from complaints
    union all
    select null as category
),

final as (
    select
        m.month,
        c.category,
        c.category is null as is_total,
        coalesce(p.complaints, 0) as complaints,
        coalesce(p.resolved, 0) as resolved,
        coalesce(p.within_sla, 0) as within_sla,
        p.median_resolution_hours
    from months as m
    cross join categories as c
    left join per_month as p
        on p.month = m.month and p.category is not distinct from c.category
)

select * from final
order by month, is_total, category
