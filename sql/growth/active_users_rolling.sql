-- Grain: one row per calendar day (reporting timezone) in the window.
-- Implements DAU, WAU and MAU (metrics.md, Growth) as distinct active users on the day and in the
-- trailing growth_wau_days / growth_mau_days days ending on it.
with
recent_activity as (
    select
        activity_date,
        user_id,
    from growth.user_activity_days
    -- looks back growth_mau_days - 1 days before the window: the first day's trailing MAU window
    where activity_date >= ($window_start at time zone $reporting_timezone)::date
            - ($growth_mau_days - 1)
        and activity_date < ($window_end at time zone $reporting_timezone)::date
),

rolling as (
    select
        calendar.activity_date,
        count(distinct recent_activity.user_id) filter (
            where recent_activity.activity_date = calendar.activity_date
        ) as dau,
        count(distinct recent_activity.user_id) filter (
            where recent_activity.activity_date > calendar.activity_date - $growth_wau_days
        ) as wau,
        count(distinct recent_activity.user_id) as mau,
    from growth.window_days($window_start, $window_end, $reporting_timezone) as calendar
    left join recent_activity
        on recent_activity.activity_date <= calendar.activity_date
        and recent_activity.activity_date > calendar.activity_date - $growth_mau_days
    group by calendar.activity_date
)

select
    activity_date,
    dau,
    wau,
    mau,
from rolling
order by activity_date
