-- offers_rules: one row per association rule A -> B between two items that share baskets
-- in offers_baskets (a temp table made for the call), with support >= $min_support and
-- confidence >= $min_confidence:
--   support     baskets holding A and B / all baskets;
--   confidence  baskets holding A and B / baskets holding A (P(B | A));
--   lift        confidence / support of B (P(B | A) / P(B)): 1 when A says nothing about B.
-- Items below $min_support are dropped before the pairs are counted (a pair is never more
-- frequent than either of its items), so the self-join only meets frequent items.
-- Parameters: $min_support, $min_confidence (shares, 0..1).
with

baskets as (
    select * from offers_baskets
),

totals as (
    select count(distinct (customer_id, basket_key)) as count_baskets
    from baskets
),

frequent as (
    select b.item, count(*) as baskets
    from baskets as b
    group by b.item
    having count(*) >= $min_support * (select count_baskets from totals)
),

frequent_lines as (
    select b.customer_id, b.basket_key, b.item
    from baskets as b
    semi join frequent as f on f.item = b.item
),

pairs as (
    select a.item as antecedent, c.item as consequent, count(*) as baskets_both
    from frequent_lines as a
    inner join frequent_lines as c
        on c.customer_id = a.customer_id and c.basket_key = a.basket_key and c.item <> a.item
    group by a.item, c.item
),

scored as (
    select
        p.antecedent,
        p.consequent,
        p.baskets_both,
        fa.baskets as baskets_antecedent,
        fc.baskets as baskets_consequent,
        p.baskets_both / t.count_baskets as support,
        p.baskets_both / fa.baskets as confidence,
        (p.baskets_both / fa.baskets) / (fc.baskets / t.count_baskets) as lift
    from pairs as p
    inner join frequent as fa on fa.item = p.antecedent
    inner join frequent as fc on fc.item = p.consequent
    cross join totals as t
),

final as (
    select *
    from scored
    where support >= $min_support and confidence >= $min_confidence
    order by lift desc, confidence desc, antecedent, consequent
)

select * from final
