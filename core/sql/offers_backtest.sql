-- offers_backtest: one row: of the customers who bought before the cut-off (offers_baskets,
-- as of the cut-off) and bought an item new to them after it (offers_outcomes: the baskets
-- of the days after the cut-off), how many (`customers`), and how many of them bought at
-- least one item offered to them in offers_top (customer_id, rank, item) (`hits`), and how
-- many bought their first offer (`first_hits`). Reads the temp relations offers_baskets,
-- offers_outcomes and offers_top made for the call.
-- No parameters.
with

before as (
    select distinct customer_id, item from offers_baskets
),

after as (
    select distinct customer_id, item from offers_outcomes
),

new_items as (
    select a.customer_id, a.item
    from after as a
    semi join (select distinct customer_id from before) as b on b.customer_id = a.customer_id
    anti join before as o on o.customer_id = a.customer_id and o.item = a.item
),

evaluated as (
    select distinct customer_id from new_items
),

hits as (
    select t.customer_id, min(t.rank) as first_rank
    from offers_top as t
    inner join new_items as n on n.customer_id = t.customer_id and n.item = t.item
    group by t.customer_id
),

final as (
    select
        (select count(*) from evaluated) as customers,
        (select count(*) from hits) as hits,
        (select count(*) from hits where first_rank = 1) as first_hits
)

select * from final
