-- Grain: one row per signup country (raw.users.country, '(unknown)' when not recorded), the ten
-- with the most signups in the quarter holding the as-of day: accounts created in that quarter
-- and the quarter before (days cut in the reporting timezone), and the quarter's share.
with
quarters as (
    select * from reporting.strategic_quarters($as_of)
),

signups as (
    select
        quarters.is_current,
        coalesce(users.country, '(unknown)') as country,
    from raw.users as users
    inner join quarters
        -- the signup day in the reporting timezone
        on (users.signup_at at time zone $reporting_timezone)::date
        between quarters.first_day and quarters.last_day
),

per_country as (
    select
        country,
        count(*) filter (where is_current) as signups,
        count(*) filter (where not is_current) as previous_signups,
    from signups
    group by country
)

select
    country,
    signups,
    previous_signups,
    reporting.strategic_change_pct(signups, previous_signups) as signups_change_pct,
    round(100.0 * signups / nullif(sum(signups) over (), 0), 1) as share_pct,
from per_country
order by signups desc, previous_signups desc, country
limit 10
