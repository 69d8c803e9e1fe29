-- offers_customers: up to $count offers per customer with a basket in offers_baskets (one
-- customer when $customer_id is set, else all), items the customer has not bought yet:
-- first the consequents of rules in offers_rules with lift above 1 whose antecedent the
-- customer bought, each by its most confident such rule (then the higher lift, then the
-- antecedent's name); then, to fill, the most popular items of offers_popular (item,
-- popularity, most popular first; the first $pool of them). Reads the temp relations
-- offers_baskets, offers_rules and offers_popular made for the call.
--   kind 'rule': antecedent, confidence, lift, support of that rule;
--   kind 'popular': popularity, the share of buyers who bought the item.
-- Parameters: $customer_id (varchar or null), $count, $pool (integers).
with

owned as (
    select distinct customer_id, item
    from offers_baskets
    where $customer_id is null or customer_id = $customer_id
),

buyers as (
    select distinct customer_id from owned
),

from_rules as (
    select
        o.customer_id,
        r.consequent as item,
        r.antecedent,
        r.confidence,
        r.lift,
        r.support
    from owned as o
    inner join offers_rules as r on r.antecedent = o.item
    where r.lift > 1
),

new_from_rules as (
    select f.*
    from from_rules as f
    anti join owned as o on o.customer_id = f.customer_id and o.item = f.item
    qualify row_number() over (
        partition by f.customer_id, f.item
        order by f.confidence desc, f.lift desc, f.antecedent
    ) = 1
),

pool as (
    select item, popularity, row_number() over (order by popularity desc, item) as place
    from offers_popular
    qualify place <= $pool
),

from_popular as (
    select b.customer_id, p.item, p.popularity, p.place
    from buyers as b
    cross join pool as p
    anti join owned as o on o.customer_id = b.customer_id and o.item = p.item
    anti join new_from_rules as n on n.customer_id = b.customer_id and n.item = p.item
),

candidates as (
    select
        customer_id,
        item,
        'rule' as kind,
        antecedent,
        confidence,
        lift,
        support,
        null::double as popularity,
        0 as tier,
        confidence as strength,
        lift as second
    from new_from_rules
    union all
    select
        customer_id,
        item,
        'popular' as kind,
        null as antecedent,
        null::double as confidence,
        null::double as lift,
        null::double as support,
        popularity,
        1 as tier,
        popularity as strength,
        -place as second
    from from_popular
),

ranked as (
    select
        *,
        row_number() over (
            partition by customer_id order by tier, strength desc, second desc, item
        ) as rank
    from candidates
    qualify rank <= $count
),

final as (
    select customer_id, rank, item, kind, antecedent, confidence, lift, support, popularity
    from ranked
    order by customer_id, rank
)

select * from final
