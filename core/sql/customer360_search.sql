-- customer360_search: the customers whose id, name, e-mail or phone holds the typed text, at
-- most $limit of them, best match first: the exact id (rank 0), an exact name, e-mail or
-- phone (1), one of them starting with the text (2), holding it anywhere (3); then by id.
-- Case does not matter (lower() on both sides; Chinese names have no case and match as
-- typed). A phone matches on its digits alone, so "153-4494 2406", "(153) 44942406" and
-- "15344942406" find the same customer; the phone is searched only when the text holds at
-- least $min_digits digits and no letter (a name or an e-mail is not a phone number).
-- The text is matched literally (contains / starts_with: % and _ are not wildcards).
-- Parameters: $text (as typed; trimmed here), $limit, $min_digits.
with

typed as (
    select
        lower(trim($text)) as text,
        regexp_replace($text, '[^0-9]', '', 'g') as digits,
        not regexp_matches(lower($text), '[a-z]') and length(
            regexp_replace($text, '[^0-9]', '', 'g')
        ) >= $min_digits as is_phone
),

customers as (
    select customer_id, name, email, phone, city
    from customers
),

matched as (
    select
        c.customer_id,
        c.name,
        c.email,
        c.phone,
        c.city,
        lower(c.customer_id) as id_text,
        lower(c.name) as name_text,
        lower(c.email) as email_text,
        case when q.is_phone then regexp_replace(c.phone, '[^0-9]', '', 'g') end as phone_digits,
        q.text,
        q.digits
    from customers as c
    cross join typed as q
    where
        q.text <> ''
        and (
            contains(lower(c.customer_id), q.text)
            or contains(lower(c.name), q.text)
            or contains(lower(c.email), q.text)
            or (q.is_phone and contains(regexp_replace(c.phone, '[^0-9]', '', 'g'), q.digits))
        )
),

final as (
    select
        customer_id,
        name,
        email,
        phone,
        city,
        case
            when id_text = text then 0
            when name_text = text or email_text = text or phone_digits = digits then 1
            when
                starts_with(id_text, text)
                or starts_with(name_text, text)
                or starts_with(email_text, text)
                or starts_with(phone_digits, digits)
                then 2
            else 3
        end as match_rank
    from matched
)

select * from final
order by match_rank, customer_id
limit $limit
