-- Grain: one row per signup-day cohort (reporting timezone) and day number 0 to
-- growth_daily_retention_days. Implements cohort retention by signup day (metrics.md, Growth and
-- Day 7 retention) by growth.cohort_retention: "on" = share of the cohort active on exactly day N
-- (day 0 = signup day); "on or after" = active on day N or a later tracked day. Cells after the
-- last computed day (at least the window's last day): NULL.
select
    cohort_start as signup_date,
    period_number as day_number,
    period_start as activity_date,
    cohort_size,
    retained_users,
    retained_on_or_after_users,
    retention_pct,
    retention_on_or_after_pct,
from growth.cohort_retention(
    'day',
    $reporting_timezone,
    signups_from := $window_start,
    signups_before := $window_end,
    periods_tracked := $growth_daily_retention_days
)
order by signup_date, day_number
