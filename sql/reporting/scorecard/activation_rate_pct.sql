-- Grain: one row per as-of day in [$first_day, $last_day]. Activation rate (metrics.md,
-- scorecard): activated users / cohort size over the signup-day cohorts whose activation window
-- closed in the growth_scorecard_maturity_days days up to the day.
with
scored_days as (
    select day::date as as_of,
    from generate_series($first_day::date, $last_day::date, interval 1 day) as days(day)
),

closed_cohorts as (
    select
        signup_date + $growth_activation_days::int as closed_on,
        cohort_size,
        activated_users,
    from growth.activation_by_cohort
    where activation_rate_pct is not null
        -- the first day looks back over the cohorts that closed in its maturity window
        and signup_date + $growth_activation_days::int
            > $first_day::date - $growth_scorecard_maturity_days::int
        and signup_date + $growth_activation_days::int <= $last_day::date
)

select
    scored_days.as_of,
    100.0 * sum(closed_cohorts.activated_users) / nullif(sum(closed_cohorts.cohort_size), 0)
        as value,
from scored_days
left join closed_cohorts
    on closed_cohorts.closed_on > scored_days.as_of - $growth_scorecard_maturity_days::int
    and closed_cohorts.closed_on <= scored_days.as_of
group by scored_days.as_of
