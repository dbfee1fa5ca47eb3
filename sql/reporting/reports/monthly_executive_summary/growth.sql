-- Grain: one row per growth measure of the month against the month before (growth tables):
-- signups in the month's days; monthly active users and their growth on the month before
-- (growth.monthly_active_users); activation and Day-7 retention of the month's signup cohorts
-- whose window had closed by the as-of day (so a later rebuild gives the same numbers).
with
signups as (
    select
        months.is_this_month,
        sum(signups_by_channel_daily.signups) as signups,
    from reporting.months_compared($as_of) as months
    left join growth.signups_by_channel_daily
        on signups_by_channel_daily.signup_date between months.first_day and months.last_day
    group by months.is_this_month
),

activation as (
    select
        months.is_this_month,
        100.0 * sum(activation_by_cohort.activated_users)
        / nullif(sum(activation_by_cohort.cohort_size), 0) as activation_pct,
    from reporting.months_compared($as_of) as months
    left join growth.activation_by_cohort
        on activation_by_cohort.signup_date between months.first_day and months.last_day
        and activation_by_cohort.signup_date + $growth_activation_days::int <= $as_of
        and activation_by_cohort.activated_users is not null
    group by months.is_this_month
),

retention as (
    select
        months.is_this_month,
        100.0 * sum(day_n_retention.d7_retained_users)
        / nullif(sum(day_n_retention.cohort_size), 0) as d7_retention_pct,
    from reporting.months_compared($as_of) as months
    left join growth.day_n_retention
        on day_n_retention.signup_date between months.first_day and months.last_day
        and day_n_retention.signup_date + 7 <= $as_of
        and day_n_retention.d7_retained_users is not null
    group by months.is_this_month
),

figures as (
    select
        months.is_this_month,
        signups.signups,
        monthly_active_users.mau,
        monthly_active_users.mom_growth_pct,
        activation.activation_pct,
        retention.d7_retention_pct,
    from reporting.months_compared($as_of) as months
    left join signups using (is_this_month)
    left join activation using (is_this_month)
    left join retention using (is_this_month)
    left join growth.monthly_active_users on monthly_active_users.month = months.first_day
),

measures as (
    select 1 as position, 'Signups' as measure, is_this_month, signups as value, from figures
    union all select 2, 'Monthly active users', is_this_month, mau, from figures
    union all select 3, 'Active users growth on the month before %', is_this_month,
        mom_growth_pct, from figures
    union all select 4, 'Activation rate % (matured signups)', is_this_month, activation_pct,
    from figures
    union all select 5, 'Day-7 retention % (matured signups)', is_this_month, d7_retention_pct,
    from figures
)

select measure, this_month, month_before, change,
from reporting.against_month_before(measures)
