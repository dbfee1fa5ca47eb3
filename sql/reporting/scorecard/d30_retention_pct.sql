-- Day 30 retention as of $as_of (metrics.md, scorecard): cohort-size-weighted mean of
-- the "on" day-30 retention over the signup-day cohorts that matured in the last
-- growth_scorecard_maturity_days days.
select
    100.0 * sum(retained_users) / nullif(sum(cohort_size), 0) as value,
from growth.cohort_retention_daily
where day_number = 30
    and retention_pct is not null
    and signup_date + 30 <= $as_of
    and signup_date + 30 > $as_of - $growth_scorecard_maturity_days
