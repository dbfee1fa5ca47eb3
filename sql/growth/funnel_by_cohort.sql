-- Grain: one row per signup-day cohort (reporting timezone).
-- Implements the funnel signup -> activated -> paying (metrics.md, Growth): within
-- growth_funnel_conversion_days of signup; a stage counts only users who reached the stage before
-- it. Overall = share of signups, step = share of the previous stage; NULL until the window closes.
with
cohort_users as (
    select
        user_id,
        signup_at,
        signup_at + to_days(cast($growth_funnel_conversion_days as integer)) as window_closes_at,
        signup_date,
    from growth.cohort_users($window_start, $window_end, $reporting_timezone)
),

paying_periods as (
    select
        customer_id as user_id,
        started_at,
        ended_at,
    from raw.subscription_periods
    where status in ('active', 'past_due')
        and monthly_amount > 0
),

activated as (
    -- activated within the conversion window of signup
    select
        user_id,
    from growth.activated_users(
        $window_start, $window_end, $reporting_timezone,
        $growth_activation_event, $growth_funnel_conversion_days
    )
),

paying as (
    select distinct
        cohort_users.user_id,
    from cohort_users
    inner join activated on activated.user_id = cohort_users.user_id
    inner join paying_periods on paying_periods.user_id = cohort_users.user_id
    where paying_periods.started_at < cohort_users.window_closes_at
        and coalesce(paying_periods.ended_at, 'infinity'::timestamptz) > cohort_users.signup_at
),

cohorts as (
    select
        cohort_users.signup_date,
        count(*) as signups,
        count(activated.user_id) as activated_users,
        count(paying.user_id) as paying_users,
    from cohort_users
    left join activated on activated.user_id = cohort_users.user_id
    left join paying on paying.user_id = cohort_users.user_id
    group by cohort_users.signup_date
),

bounds as (
    select
        growth.data_through($window_end, $reporting_timezone) as data_through,
),

matured as (
    select
        cohorts.signup_date,
        cohorts.signups,
        case when cohorts.signup_date + $growth_funnel_conversion_days <= bounds.data_through
            then cohorts.activated_users end as activated_users,
        case when cohorts.signup_date + $growth_funnel_conversion_days <= bounds.data_through
            then cohorts.paying_users end as paying_users,
    from cohorts
    cross join bounds
)

select
    signup_date,
    signups,
    activated_users,
    paying_users,
    round(100.0 * activated_users / nullif(signups, 0), 2) as activated_pct,
    round(100.0 * paying_users / nullif(signups, 0), 2) as paying_pct,
    round(100.0 * activated_users / nullif(signups, 0), 2) as activated_step_pct,
    round(100.0 * paying_users / nullif(activated_users, 0), 2) as paying_step_pct,
from matured
order by signup_date
