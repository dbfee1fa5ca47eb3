-- Grain: one row per funnel stage (signup, activated, paying) of the signup-day cohorts whose
-- {growth_funnel_conversion_days}-day conversion window closed in the month holding $as_of
-- (signup day + the window between the month's first day and $as_of), against the cohorts
-- whose window closed in the month before (growth.funnel_by_cohort): users, percent of signups
-- and of the stage before.
with
closed as (
    select
        funnel_by_cohort.signup_date + $growth_funnel_conversion_days >= months.month_start
            as is_this_month,
        funnel_by_cohort.signups,
        funnel_by_cohort.activated_users,
        funnel_by_cohort.paying_users,
    from growth.funnel_by_cohort
    inner join growth.review_months($as_of) as months
        on funnel_by_cohort.signup_date + $growth_funnel_conversion_days
            between months.previous_start and months.month_end
    where funnel_by_cohort.activated_users is not null
),

months as (
    select
        is_this_month,
        sum(signups) as signups,
        sum(activated_users) as activated,
        sum(paying_users) as paying,
    from closed
    group by is_this_month
),

stages as (
    select 1 as position, 'signup' as stage, is_this_month, signups as users, signups as previous,
        signups as total from months
    union all select 2, 'activated', is_this_month, activated, signups, signups from months
    union all select 3, 'paying', is_this_month, paying, activated, signups from months
),

listed as (
    select 1 as position, 'signup' as stage
    union all select 2, 'activated'
    union all select 3, 'paying'
)

select
    listed.stage,
    this_month.users::bigint as users,
    round(100.0 * this_month.users / nullif(this_month.total, 0), 2) as pct_of_signups,
    round(100.0 * this_month.users / nullif(this_month.previous, 0), 2) as step_pct,
    month_before.users::bigint as users_month_before,
    round(100.0 * month_before.users / nullif(month_before.total, 0), 2)
        as pct_of_signups_month_before,
from listed
left join stages as this_month
    on this_month.position = listed.position and this_month.is_this_month
left join stages as month_before
    on month_before.position = listed.position and not month_before.is_this_month
order by listed.position
