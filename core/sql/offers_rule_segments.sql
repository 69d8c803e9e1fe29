-- offers_rule_segments: one row per rule of offers_rules and customer segment (from
-- offers_segments: customer_id, segment) whose baskets hold the rule's antecedent: the rule
-- measured within that segment's baskets (support, confidence, lift as in offers_rules).
-- It holds for the segment when it passes $min_support and $min_confidence there too and
-- its lift there is above 1. Reads the temp relations offers_baskets, offers_rules and
-- offers_segments made for the call.
-- Parameters: $min_support, $min_confidence (shares, 0..1).
with

baskets as (
    select b.customer_id, b.basket_key, b.item, s.segment
    from offers_baskets as b
    inner join offers_segments as s on s.customer_id = b.customer_id
),

segment_totals as (
    select segment, count(distinct (customer_id, basket_key)) as count_baskets
    from baskets
    group by segment
),

rule_items as (
    select antecedent as item from offers_rules
    union
    select consequent as item from offers_rules
),

item_counts as (
    select b.segment, b.item, count(*) as baskets
    from baskets as b
    semi join rule_items as i on i.item = b.item
    group by b.segment, b.item
),

pairs as (
    select r.antecedent, r.consequent, a.segment, count(*) as baskets_both
    from baskets as a
    inner join offers_rules as r on r.antecedent = a.item
    inner join baskets as c
        on c.customer_id = a.customer_id and c.basket_key = a.basket_key and c.item = r.consequent
    group by r.antecedent, r.consequent, a.segment
),

scored as (
    select
        r.antecedent,
        r.consequent,
        ia.segment,
        coalesce(p.baskets_both, 0) as baskets_both,
        coalesce(p.baskets_both, 0) / t.count_baskets as support,
        coalesce(p.baskets_both, 0) / ia.baskets as confidence,
        (coalesce(p.baskets_both, 0) / ia.baskets) / (ic.baskets / t.count_baskets) as lift
    from offers_rules as r
    inner join item_counts as ia on ia.item = r.antecedent
    inner join item_counts as ic on ic.item = r.consequent and ic.segment = ia.segment
    inner join segment_totals as t on t.segment = ia.segment
    left join pairs as p
        on p.antecedent = r.antecedent and p.consequent = r.consequent and p.segment = ia.segment
),

final as (
    select
        *,
        support >= $min_support and confidence >= $min_confidence and lift > 1 as holds
    from scored
    order by antecedent, consequent, segment
)

select * from final
