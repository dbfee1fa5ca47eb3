-- Grain: one row per funnel stage (signup, activated, paying) of the latest signup week whose
-- every cohort's {growth_funnel_conversion_days}-day window has closed by $as_of (growth.funnel_by_cohort).
with
bounds as (
    select
        cast(date_trunc('week', $as_of - $growth_funnel_conversion_days + 1) as date) - 7
            as week_start,
),

week as (
    select
        cast(sum(signups) as bigint) as signups,
        -- a stage is counted only when every cohort of the week has closed its window
        case when count(activated_users) = count(*) then cast(sum(activated_users) as bigint) end as activated,
        case when count(paying_users) = count(*) then cast(sum(paying_users) as bigint) end as paying,
    from growth.funnel_by_cohort
    where signup_date between (select week_start from bounds) and (select week_start + 6 from bounds)
),

stages as (
    select 1 as position, 'signup' as stage, signups as users, signups as previous_users from week
    union all select 2, 'activated', activated, signups from week
    union all select 3, 'paying', paying, activated from week
)

select
    (select week_start from bounds) as signup_week,
    stages.stage,
    stages.users,
    round(100.0 * stages.users / nullif(week.signups, 0), 2) as pct_of_signups,
    round(100.0 * stages.users / nullif(stages.previous_users, 0), 2) as step_pct,
from stages
cross join week
order by stages.position
