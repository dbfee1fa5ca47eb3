-- Grain: one row per signup week (ISO, Monday) of the 4 latest whose every cohort is mature by
-- $as_of: signups, activated within {growth_activation_days} days, the rate (growth.activation_by_cohort).
with
weeks as (
    select
        cast(date_trunc('week', signup_date) as date) as signup_week,
        cast(sum(cohort_size) as bigint) as signups,
        case when count(activated_users) = count(*) then cast(sum(activated_users) as bigint) end as activated,
    from growth.activation_by_cohort
    -- a week is mature when its Sunday's cohort is
    where signup_date <= cast(date_trunc('week', $as_of - $growth_activation_days + 1) as date) - 1
    group by all
)

select
    signup_week,
    signups,
    activated,
    round(100.0 * activated / nullif(signups, 0), 2) as activation_rate_pct,
from weeks
order by signup_week desc
limit 4
