-- customer360_referrals: the customers one customer referred (customers.referred_by = the
-- customer) with when they signed up and whether they have bought by the as-of date (a
-- purchase day in stg_purchase_days). Newest sign-up first. Parameters: $as_of (date),
-- $customer_id.
with

referred as (
    select customer_id, name, signed_up_at
    from customers
    where referred_by = $customer_id
),

buyers as (
    select distinct customer_id
    from {{ stg_purchase_days }}
    where customer_id in (select r.customer_id from referred as r)
),

final as (
    select
        r.customer_id,
        r.name,
        r.signed_up_at,
        b.customer_id is not null as is_buyer
    from referred as r
    left join buyers as b on b.customer_id = r.customer_id
)

select * from final
order by signed_up_at desc, customer_id
