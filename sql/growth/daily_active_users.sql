-- Grain: one row per calendar day (reporting timezone) in the window.
-- Implements DAU: distinct users with any qualifying event that day (metrics.md, Growth;
-- every event qualifies; activity before signup does not). growth.user_activity_days holds one
-- row per user and day with a qualifying event, so DAU counts its rows instead of scanning the
-- events again (at 600,000 users that scan was 18 s of growth's 82 s).
with
daily_counts as (
    select
        activity_date,
        count(*) as active_users,
    from growth.user_activity_days
    where
        activity_date >= ($window_start at time zone $reporting_timezone)::date
        and activity_date < ($window_end at time zone $reporting_timezone)::date
    group by activity_date
)

select
    calendar.activity_date,
    coalesce(daily_counts.active_users, 0) as active_users,
from growth.window_days($window_start, $window_end, $reporting_timezone) as calendar
left join daily_counts using (activity_date)
order by calendar.activity_date
