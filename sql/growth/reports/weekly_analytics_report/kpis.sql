-- Grain: one row per KPI of the last complete ISO week (Monday to Sunday) up to $as_of, against
-- the week before: DAU (mean of the week's days), WAU (distinct users active in the week),
-- signups; activation and Day-7 retention are of the latest signup week whose every cohort is
-- mature by $as_of (so of an earlier week), against the signup week before it.
with
weeks as (
    select
        -- the last complete ISO week: the one ending on the last Sunday on or before $as_of
        cast(date_trunc('week', $as_of + 1) as date) - 7 as this_week,
        cast(date_trunc('week', $as_of - $growth_activation_days + 1) as date) - 7
            as activation_week,
        cast(date_trunc('week', $as_of - 7 + 1) as date) - 7 as retention_week,
),

dau as (
    select
        cast(date_trunc('week', activity_date) as date) as week_start,
        avg(active_users) as value,
    from growth.daily_active_users
    where activity_date between (select this_week - 7 from weeks) and (select this_week + 6 from weeks)
    group by week_start
),

wau as (
    select
        cast(date_trunc('week', activity_date) as date) as week_start,
        count(distinct user_id) as value,
    from growth.user_activity_days
    where activity_date between (select this_week - 7 from weeks) and (select this_week + 6 from weeks)
    group by week_start
),

signups as (
    select
        cast(date_trunc('week', signup_date) as date) as week_start,
        sum(signups) as value,
    from growth.signups_by_channel_daily
    where signup_date between (select this_week - 7 from weeks) and (select this_week + 6 from weeks)
    group by week_start
),

activation as (
    -- a week's rate only when every cohort of it is mature (no NULL cell)
    select
        cast(date_trunc('week', signup_date) as date) as week_start,
        case
            when count(activated_users) = count(*)
                then 100.0 * sum(activated_users) / nullif(sum(cohort_size), 0)
        end as value,
    from growth.activation_by_cohort
    where signup_date between (select activation_week - 7 from weeks)
        and (select activation_week + 6 from weeks)
    group by week_start
),

retention as (
    select
        cast(date_trunc('week', signup_date) as date) as week_start,
        case
            when count(d7_retained_users) = count(*)
                then 100.0 * sum(d7_retained_users) / nullif(sum(cohort_size), 0)
        end as value,
    from growth.day_n_retention
    where signup_date between (select retention_week - 7 from weeks)
        and (select retention_week + 6 from weeks)
    group by week_start
),

kpis as (
    select
        listed.position,
        listed.kpi,
        listed.unit,
        listed.week_start,
        this_week.value,
        week_before.value as week_before,
    from (
        select 1, 'DAU (mean of the days)', 'users', this_week, 'dau' from weeks
        union all select 2, 'WAU (active in the week)', 'users', this_week, 'wau' from weeks
        union all select 3, 'Signups', 'users', this_week, 'signups' from weeks
        union all select 4, 'Activation rate (signup week)', '%', activation_week, 'activation'
        from weeks
        union all select 5, 'Day-7 retention (signup week)', '%', retention_week, 'retention'
        from weeks
    ) as listed(position, kpi, unit, week_start, source)
    left join (
        select 'dau' as source, week_start, value from dau
        union all select 'wau', week_start, value from wau
        union all select 'signups', week_start, value from signups
        union all select 'activation', week_start, value from activation
        union all select 'retention', week_start, value from retention
    ) as this_week
        on this_week.source = listed.source
        and this_week.week_start = listed.week_start
    left join (
        select 'dau' as source, week_start, value from dau
        union all select 'wau', week_start, value from wau
        union all select 'signups', week_start, value from signups
        union all select 'activation', week_start, value from activation
        union all select 'retention', week_start, value from retention
    ) as week_before
        on week_before.source = listed.source
        and week_before.week_start = listed.week_start - 7
)

select
    kpi,
    unit,
    week_start,
    round(value, 2) as value,
    round(week_before, 2) as week_before,
    -- in the KPI's unit: percentage points for a rate
    round(value - week_before, 2) as change,
    round(100.0 * (value - week_before) / nullif(week_before, 0), 2) as change_pct,
from kpis
order by position
