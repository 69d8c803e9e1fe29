-- offers_items: one row per item in the baskets of offers_baskets (a temp table made for
-- the call): the baskets holding it, its support (their share of all baskets), the
-- customers who bought it and their share of the buyers (its popularity), most popular first.
-- No parameters.
with

baskets as (
    select * from offers_baskets
),

totals as (
    select
        count(distinct (customer_id, basket_key)) as count_baskets,
        count(distinct customer_id) as count_buyers
    from baskets
),

counts as (
    select
        item,
        count(*) as baskets,
        count(distinct customer_id) as customers
    from baskets
    group by item
),

final as (
    select
        c.item,
        c.baskets,
        c.baskets / t.count_baskets as support,
        c.customers,
        c.customers / t.count_buyers as popularity
    from counts as c
    cross join totals as t
    order by popularity desc, c.item
)

select * from final
