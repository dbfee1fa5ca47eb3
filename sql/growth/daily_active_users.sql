-- Grain: one row per calendar day (reporting timezone) in the window.
-- Implements DAU: distinct users with any qualifying event that day (metrics.md, Growth;
-- every event qualifies; activity before signup does not).
with
qualifying_events as (
    select
        user_id,
        activity_date,
    from growth.qualifying_events($window_start, $window_end, $reporting_timezone)
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
from growth.window_days($window_start, $window_end, $reporting_timezone) as calendar
left join daily_counts using (activity_date)
order by calendar.activity_date
