-- offers_customers: up to $count offers per customer with a basket in offers_baskets (one
-- customer when $customer_id is set, else all), items the customer has not bought yet:
-- first the consequents of rules in offers_rules with lift above 1 whose antecedent the
-- customer bought, each by its strongest such rule; then, to fill, the most popular items
-- of offers_popular (item, popularity; the first $pool of them). Offers come in the order
-- of one list, `place`: the rules by confidence, then lift, then antecedent and consequent
-- by name, then the popular items by popularity, then name. Reads the temp relations
-- offers_baskets, offers_rules and offers_popular made for the call.
--   kind 'rule': antecedent, confidence, lift, support of that rule;
--   kind 'popular': popularity, the share of buyers who bought the item.
-- Parameters: $customer_id (varchar or null), $count, $pool (integers).
with

rules as (
    select
        antecedent,
        consequent,
        confidence,
        lift,
        support,
        row_number() over (
            order by confidence desc, lift desc, antecedent, consequent
        ) as place
    from offers_rules
    where lift > 1
),

popular as (
    select
        item,
        popularity,
        (select count(*) from rules)
        + row_number() over (order by popularity desc, item) as place
    from offers_popular
),

pool as (
    select * from popular
    where place <= (select count(*) from rules) + $pool
),

owned as (
    select distinct customer_id, item
    from offers_baskets
    where $customer_id is null or customer_id = $customer_id
),

buyers as (
    select distinct customer_id from owned
),

from_rules as (
    select o.customer_id, r.consequent as item, min(r.place) as place
    from owned as o
    inner join rules as r on r.antecedent = o.item
    group by o.customer_id, r.consequent
),

new_from_rules as materialized (
    select f.customer_id, f.item, f.place
    from from_rules as f
    anti join owned as o on o.customer_id = f.customer_id and o.item = f.item
),

from_popular as (
    select b.customer_id, p.item, p.place
    from buyers as b
    cross join pool as p
    anti join owned as o on o.customer_id = b.customer_id and o.item = p.item
    anti join new_from_rules as n on n.customer_id = b.customer_id and n.item = p.item
),

ranked as (
    select
        customer_id,
        item,
        place,
        row_number() over (partition by customer_id order by place) as rank
    from (
        select * from new_from_rules
        union all
        select * from from_popular
    )
    qualify rank <= $count
),

final as (
    select
        k.customer_id,
        k.rank,
        k.item,
        case when r.place is null then 'popular' else 'rule' end as kind,
        r.antecedent,
        r.confidence,
        r.lift,
        r.support,
        p.popularity
    from ranked as k
    left join rules as r on r.place = k.place
    left join pool as p on p.place = k.place
    order by k.customer_id, k.rank
)

select * from final
