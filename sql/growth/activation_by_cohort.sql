-- Grain: one row per signup-day cohort (reporting timezone).
-- Implements activation rate (metrics.md, scorecard): share of the cohort performing the activation
-- event within growth_activation_days of signup; NULL for cohorts younger than that.
with
bounds as (
    select
        -- the last day activity has been computed for (at least the window's last day)
        greatest(
            ($window_end at time zone $reporting_timezone)::date - 1,
            (select max(activity_date) from growth.user_activity_days)
        ) as data_through,
),

cohort_users as (
    select
        user_id,
        signup_at,
        -- cut the signup day in the reporting timezone
        (signup_at at time zone $reporting_timezone)::date as signup_date,
    from raw.users
    where signup_at >= $window_start
        and signup_at < $window_end
),

activation_events as (
    select
        user_id,
        occurred_at,
    from raw.events
    where event_name = $growth_activation_event
        and occurred_at >= $window_start
        -- looks growth_activation_days past the window: the last cohort's activation window
        and occurred_at < $window_end + to_days(cast($growth_activation_days as integer))
),

activated_users as (
    select distinct
        cohort_users.user_id,
    from cohort_users
    inner join activation_events on activation_events.user_id = cohort_users.user_id
    where activation_events.occurred_at >= cohort_users.signup_at
        and activation_events.occurred_at
            < cohort_users.signup_at + to_days(cast($growth_activation_days as integer))
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
