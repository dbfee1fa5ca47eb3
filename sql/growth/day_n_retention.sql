-- Grain: one row per signup-day cohort (reporting timezone).
-- Implements Day-1/7/30 retention (metrics.md, scorecard): the "on" retention of days 1, 7 and 30
-- from growth.cohort_retention_daily; NULL while the cohort is too young for that day.
with
cohort_cells as (
    select
        signup_date,
        day_number,
        cohort_size,
        retained_users,
        retention_pct,
    from growth.cohort_retention_daily
    where signup_date >= ($window_start at time zone $reporting_timezone)::date
        and signup_date < ($window_end at time zone $reporting_timezone)::date
        and day_number in (1, 7, 30)
)

select
    signup_date,
    any_value(cohort_size) as cohort_size,
    max(retention_pct) filter (where day_number = 1) as d1_retention_pct,
    max(retention_pct) filter (where day_number = 7) as d7_retention_pct,
    max(retention_pct) filter (where day_number = 30) as d30_retention_pct,
    max(retained_users) filter (where day_number = 7) as d7_retained_users,
    max(retained_users) filter (where day_number = 30) as d30_retained_users,
from cohort_cells
group by signup_date
order by signup_date
