-- Grain: one row per as-of day in [$first_day, $last_day]. Day 7 retention (metrics.md,
-- scorecard): cohort-size-weighted mean of the "on" day-7 retention over the signup-day cohorts
-- that matured (signup day + 7) in the growth_scorecard_maturity_days days up to the day.
with
scored_days as (
    select day::date as as_of,
    from generate_series($first_day::date, $last_day::date, interval 1 day) as days(day)
),

matured_cohorts as (
    select
        signup_date + 7 as matured_on,
        cohort_size,
        retained_users,
    from growth.cohort_retention_daily
    where day_number = 7
        and retention_pct is not null
        -- the first day looks back over the cohorts that matured in its maturity window
        and signup_date + 7 > $first_day::date - $growth_scorecard_maturity_days::int
        and signup_date + 7 <= $last_day::date
)

select
    scored_days.as_of,
    100.0 * sum(matured_cohorts.retained_users) / nullif(sum(matured_cohorts.cohort_size), 0)
        as value,
from scored_days
left join matured_cohorts
    on matured_cohorts.matured_on > scored_days.as_of - $growth_scorecard_maturity_days::int
    and matured_cohorts.matured_on <= scored_days.as_of
group by scored_days.as_of
