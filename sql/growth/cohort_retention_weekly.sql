-- Grain: one row per signup cohort (ISO week (Monday start), reporting timezone) and period
-- number since signup.
-- Implements cohort retention curves (metrics.md, Growth): "on" = share of the cohort active in
-- period N (period 0 = the signup period); "on or after" = active in period N or any later one.
-- Periods not complete by the last computed day are immature: NULL.
with
bounds as (
    select
        max(activity_date) as data_through,
    from growth.user_activity_days
),

cohort_users as (
    select
        user_id,
        -- cut the signup day in the reporting timezone, then its cohort
        date_trunc('week', (signup_at at time zone $reporting_timezone)::date)::date
            as cohort_start,
    from raw.users
    -- cut the signup day in the reporting timezone
    where (signup_at at time zone $reporting_timezone)::date
        <= (select data_through from bounds)
),

cohorts as (
    select
        cohort_start,
        count(*) as cohort_size,
    from cohort_users
    group by cohort_start
),

cohort_periods as (
    select
        cohorts.cohort_start,
        cohorts.cohort_size,
        unnest(
            range(0, (bounds.data_through - cohorts.cohort_start) // 7 + 1)
        )::integer as period_number,
    from cohorts
    cross join bounds
),

cells as (
    select
        cohort_periods.cohort_start,
        cohort_periods.period_number,
        cohort_periods.cohort_size,
        cohort_periods.cohort_start + 7 * cohort_periods.period_number as period_start,
    from cohort_periods
),

user_periods as (
    select distinct
        cohort_users.cohort_start,
        cohort_users.user_id,
        (date_trunc('week', activity_date)::date - cohort_start) // 7 as period_number,
    from growth.user_activity_days
    inner join cohort_users on cohort_users.user_id = user_activity_days.user_id
),

retained_on as (
    select
        cohort_start,
        period_number,
        count(*) as retained_users,
    from user_periods
    group by all
),

last_period_seen as (
    select
        cohort_start,
        user_id,
        max(period_number) as last_period_number,
    from user_periods
    group by all
),

retained_on_or_after as (
    select
        cells.cohort_start,
        cells.period_number,
        count(last_period_seen.user_id) as retained_on_or_after_users,
    from cells
    inner join last_period_seen
        on last_period_seen.cohort_start = cells.cohort_start
        and last_period_seen.last_period_number >= cells.period_number
    group by all
),

measured as (
    select
        cells.cohort_start,
        cells.period_number,
        cells.period_start,
        cells.cohort_size,
        period_start + 6 <= bounds.data_through as is_mature,
        coalesce(retained_on.retained_users, 0) as retained_users,
        coalesce(retained_on_or_after.retained_on_or_after_users, 0) as retained_on_or_after_users,
    from cells
    cross join bounds
    left join retained_on using (cohort_start, period_number)
    left join retained_on_or_after using (cohort_start, period_number)
)

select
    cohort_start as signup_week,
    period_number as week_number,
    period_start,
    cohort_size,
    case when is_mature then retained_users end as retained_users,
    case when is_mature then retained_on_or_after_users end as retained_on_or_after_users,
    case
        when is_mature then round(100.0 * retained_users / nullif(cohort_size, 0), 2)
    end as retention_pct,
    case
        when is_mature then round(100.0 * retained_on_or_after_users / nullif(cohort_size, 0), 2)
    end as retention_on_or_after_pct,
from measured
order by signup_week, week_number
