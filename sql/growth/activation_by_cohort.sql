-- Grain: one row per signup-day cohort (reporting timezone).
-- Implements activation rate (metrics.md, scorecard): share of the cohort performing the activation
-- event within growth_activation_days of signup; NULL for cohorts younger than that.
with
cohort_users as (
    select
        user_id,
        signup_date,
    from growth.cohort_users($window_start, $window_end, $reporting_timezone)
),

activated_users as (
    select
        user_id,
    from growth.activated_users(
        $window_start, $window_end, $reporting_timezone,
        $growth_activation_event, $growth_activation_days
    )
),

bounds as (
    select
        growth.data_through($window_end, $reporting_timezone) as data_through,
),

cohorts as (
    select
        cohort_users.signup_date,
        count(*) as cohort_size,
        count(activated_users.user_id) as activated_users,
    from cohort_users
    left join activated_users on activated_users.user_id = cohort_users.user_id
    group by cohort_users.signup_date
)

select
    cohorts.signup_date,
    cohorts.cohort_size,
    case
        when cohorts.signup_date + $growth_activation_days <= bounds.data_through
            then cohorts.activated_users
    end as activated_users,
    case
        when cohorts.signup_date + $growth_activation_days <= bounds.data_through
            then round(100.0 * cohorts.activated_users / nullif(cohorts.cohort_size, 0), 2)
    end as activation_rate_pct,
from cohorts
cross join bounds
order by cohorts.signup_date
