-- satisfaction_kpis: two rows, the 12 months up to the as-of date (is_current) and the 12
-- months before: survey answers (CSAT: answers, sum, satisfied 4-5; NPS: answers,
-- promoters 9-10, detractors 0-6), complaints submitted, resolved by the period's end,
-- resolved within $sla_hours hours and their median hours to resolution, and the loyalty
-- inputs: buyers, repeat buyers (2+ purchase days in the period) and referrers (buyers of
-- the period who referred a customer who signed up in it). The periods are stg_windows',
-- purchase days stg_purchase_days'. Parameters: $as_of, $sla_hours. With the page's
-- filters, `/* and chosen(column) */` keeps the chosen customers' answers, complaints and
-- purchase days (their referrers are among those buyers); else it is a comment.
with

windows as (
    select * from {{ stg_windows }}
),

periods as (
    select true as is_current, current_start as period_start, current_end as period_end
    from windows
    union all
    select false as is_current, previous_start as period_start, current_start as period_end
    from windows
),

answers as (
    select
        p.is_current,
        count(f.csat) as csat_answers,
        coalesce(sum(f.csat), 0) as csat_total,
        count(*) filter (where f.csat >= 4) as csat_satisfied,
        count(f.nps) as nps_answers,
        count(*) filter (where f.nps >= 9) as promoters,
        count(*) filter (where f.nps <= 6) as detractors
    from periods as p
    inner join feedback as f
        on f.submitted_at >= p.period_start and f.submitted_at < p.period_end
        /* and chosen(f.customer_id) */
    group by p.is_current
),

complaints as (
    select
        p.is_current,
        count(*) as complaints,
        count(*) filter (where f.resolved_at < p.period_end) as resolved,
        count(*) filter (
            where f.resolved_at < p.period_end
            and date_diff('second', f.submitted_at, f.resolved_at) <= $sla_hours * 3600
        ) as within_sla,
        median(greatest(date_diff('second', f.submitted_at, f.resolved_at), 0) / 3600.0)
            filter (where f.resolved_at < p.period_end) as median_resolution_hours
    from periods as p
    inner join feedback as f
        on f.submitted_at >= p.period_start and f.submitted_at < p.period_end
    where f.kind = 'complaint' /* and chosen(f.customer_id) */
    group by p.is_current
),

purchase_days as (
    select
        p.is_current,
        d.customer_id,
        count(*) as purchase_days
    from periods as p
    inner join {{ stg_purchase_days }} as d
        on d.purchased_on >= p.period_start and d.purchased_on < p.period_end
        /* and chosen(d.customer_id) */
    group by all
),

referrals as (
    select distinct p.is_current, c.referred_by as customer_id
    from periods as p
    inner join customers as c
        on c.signed_up_at >= p.period_start and c.signed_up_at < p.period_end
    where c.referred_by is not null
),

buyers as (
    select
        d.is_current,
        count(*) as buyers,
        count(*) filter (where d.purchase_days >= 2) as repeat_buyers,
        count(r.customer_id) as referrers
    from purchase_days as d
    left join referrals as r on r.is_current = d.is_current and r.customer_id = d.customer_id
    group by d.is_current
),

final as (
    select
        p.is_current,
        coalesce(a.csat_answers, 0) as csat_answers,
        coalesce(a.csat_total, 0) as csat_total,
        coalesce(a.csat_satisfied, 0) as csat_satisfied,
        coalesce(a.nps_answers, 0) as nps_answers,
        coalesce(a.promoters, 0) as promoters,
        coalesce(a.detractors, 0) as detractors,
        coalesce(c.complaints, 0) as complaints,
        coalesce(c.resolved, 0) as resolved,
        coalesce(c.within_sla, 0) as within_sla,
        c.median_resolution_hours,
        coalesce(b.buyers, 0) as buyers,
        coalesce(b.repeat_buyers, 0) as repeat_buyers,
        coalesce(b.referrers, 0) as referrers
    from periods as p
    left join answers as a on a.is_current = p.is_current
    left join complaints as c on c.is_current = p.is_current
    left join buyers as b on b.is_current = p.is_current
)

select * from final
order by is_current desc
