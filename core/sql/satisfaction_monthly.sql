-- satisfaction_monthly: one row per month (from $start_month to the as-of month) and group
-- of survey answers ($by: 'channel' = the answer's channel, 'category' = its category,
-- 'stars' = the customer's star rating from the customer_extras temp table, else one group
-- 'all'): the answers behind CSAT and their sum and satisfied count (4-5), the answers
-- behind NPS and their promoters (9-10), passives (7-8) and detractors (0-6).
-- An answer is a feedback row with a CSAT or an NPS score, whatever its kind. Months
-- without answers are rows of zeros. Parameters: $as_of (date), $start_month (date), $by.
-- With the page's filters, `/* and chosen(column) */` counts only the chosen customers'
-- rows (core.satisfaction: a semi-join on core.filters' relation); else it is a comment.
with

months as (
    select
        unnest(
            generate_series($start_month::date, date_trunc('month', $as_of::date), interval 1 month)
        )::date as month
),

extras as (
    select * from customer_extras
),

answers as (
    select
        date_trunc('month', f.submitted_at)::date as month,
        case $by
            when 'channel' then coalesce(f.channel, 'unknown')
            when 'category' then coalesce(f.category, 'unspecified')
            when 'stars' then coalesce(x.stars::varchar, 'unrated')
            else 'all'
        end as group_key,
        f.csat,
        f.nps
    from feedback as f
    left join extras as x on x.customer_id = f.customer_id
    where
        f.submitted_at >= $start_month::date
        and f.submitted_at < $as_of::date + interval 1 day
        and (f.csat is not null or f.nps is not null)
        /* and chosen(f.customer_id) */
),

per_month as (
    select
        month,
        group_key,
        count(csat) as csat_answers,
        coalesce(sum(csat), 0) as csat_total,
        count(*) filter (where csat >= 4) as csat_satisfied,
        count(nps) as nps_answers,
        count(*) filter (where nps >= 9) as promoters,
        count(*) filter (where nps between 7 and 8) as passives,
        count(*) filter (where nps <= 6) as detractors
    from answers
    group by all
),

groups as (
    select distinct group_key from per_month
),

final as (
    select
        m.month,
        g.group_key,
        coalesce(p.csat_answers, 0) as csat_answers,
        coalesce(p.csat_total, 0) as csat_total,
        coalesce(p.csat_satisfied, 0) as csat_satisfied,
        coalesce(p.nps_answers, 0) as nps_answers,
        coalesce(p.promoters, 0) as promoters,
        coalesce(p.passives, 0) as passives,
        coalesce(p.detractors, 0) as detractors
    from months as m
    cross join groups as g
    left join per_month as p on p.month = m.month and p.group_key = g.group_key
)

select * from final
order by month, group_key
