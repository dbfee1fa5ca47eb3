-- Grain: one row per calendar day (reporting timezone) in the window.
-- Implements DAU: distinct users with any qualifying event that day (metrics.md, Growth;
-- every event qualifies; activity before signup does not).
with
users as (
    select
        user_id,
        signup_at,
    from raw.users
),

window_events as (
    select
        user_id,
        occurred_at,
    from raw.events
    where occurred_at >= $window_start
        and occurred_at < $window_end
),

qualifying_events as (
    select
        window_events.user_id,
        -- cut the calendar day in the reporting timezone
        (window_events.occurred_at at time zone $reporting_timezone)::date as activity_date,
    from window_events
    inner join users on window_events.user_id = users.user_id
    where window_events.occurred_at >= users.signup_at
),

calendar as (
    select
        day::date as activity_date,
    from generate_series(
        ($window_start at time zone $reporting_timezone)::date,
        ($window_end at time zone $reporting_timezone)::date - 1,
        interval 1 day
    ) as days(day)
),

daily_counts as (
    select
        activity_date,
        count(distinct user_id) as active_users,
    from qualifying_events
    group by activity_date
)

select
    calendar.activity_date,
    coalesce(daily_counts.active_users, 0) as active_users,
from calendar
left join daily_counts using (activity_date)
order by calendar.activity_date
