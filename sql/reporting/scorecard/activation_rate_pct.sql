-- Activation rate as of $as_of (metrics.md, scorecard): activated users / cohort size over the
-- signup-day cohorts whose activation window closed in the last growth_scorecard_maturity_days
-- days.
select
    100.0 * sum(activated_users) / nullif(sum(cohort_size), 0) as value,
from growth.activation_by_cohort
where activation_rate_pct is not null
    and signup_date + $growth_activation_days <= $as_of
    and signup_date + $growth_activation_days > $as_of - $growth_scorecard_maturity_days
