-- Grain: one row per signup-day cohort (reporting timezone) and day number 0 to
-- growth_daily_retention_days. Implements cohort retention by signup day (metrics.md, Growth and
-- Day 7 retention): "on" = share of the cohort active on exactly day N (day 0 = signup day);
-- "on or after" = active on day N or a later tracked day. Cells after the last computed day: NULL.
with
bounds as (
    select
        -- the last day activity has been computed for (at least the window's last day)
        greatest(
            ($window_end at time zone $reporting_timezone)::date - 1,
            (select max(activity_date) from growth.user_activity_days)
        ) as data_through,
),

cohorts as (
    select
        -- cut the signup day in the reporting timezone
        (signup_at at time zone $reporting_timezone)::date as signup_date,
        count(*) as cohort_size,
    from raw.users
    where signup_at >= $window_start
        and signup_at < $window_end
    group by all
),

cells as (
    select
        cohorts.signup_date,
        day_numbers.day_number,
        cohorts.cohort_size,
        cohorts.signup_date + day_numbers.day_number as activity_date,
    from cohorts
    cross join (
        select range::integer as day_number from range(0, $growth_daily_retention_days + 1)
    ) as day_numbers
),

cohort_activity as (
    select
        signup_date,
        day_number,
        user_id,
    from growth.user_activity_days
    where signup_date >= ($window_start at time zone $reporting_timezone)::date
        and signup_date < ($window_end at time zone $reporting_timezone)::date
        and day_number <= $growth_daily_retention_days
),

retained_on as (
    select
        signup_date,
        day_number,
        count(*) as retained_users,
    from cohort_activity
    group by all
),

last_day_seen as (
    select
        signup_date,
        user_id,
        max(day_number) as last_day_number,
    from cohort_activity
    group by all
),

retained_on_or_after as (
    select
        cells.signup_date,
        cells.day_number,
        count(last_day_seen.user_id) as retained_on_or_after_users,
    from cells
    inner join last_day_seen
        on last_day_seen.signup_date = cells.signup_date
        and last_day_seen.last_day_number >= cells.day_number
    group by all
),

measured as (
    select
        cells.signup_date,
        cells.day_number,
        cells.activity_date,
        cells.cohort_size,
        cells.activity_date <= bounds.data_through as is_mature,
        coalesce(retained_on.retained_users, 0) as retained_users,
        coalesce(retained_on_or_after.retained_on_or_after_users, 0) as retained_on_or_after_users,
    from cells
    cross join bounds
    left join retained_on using (signup_date, day_number)
    left join retained_on_or_after using (signup_date, day_number)
)

select
    signup_date,
    day_number,
    activity_date,
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
order by signup_date, day_number
