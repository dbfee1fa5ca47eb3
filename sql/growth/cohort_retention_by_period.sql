-- Grain: one row per signup cohort ($grain: 'week' = ISO week from Monday, or 'month'; reporting
-- timezone) and period number since signup; cohort_start is the cohort's first day.
-- Implements cohort retention curves (metrics.md, Growth) by growth.cohort_retention: "on" = share
-- of the cohort active in period N (period 0 = the signup period); "on or after" = active in period
-- N or any later one. Periods not complete by the last computed day are immature: NULL.
select
    cohort_start,
    period_number,
    period_start,
    cohort_size,
    retained_users,
    retained_on_or_after_users,
    retention_pct,
    retention_on_or_after_pct,
from growth.cohort_retention($grain, $reporting_timezone)
order by cohort_start, period_number
