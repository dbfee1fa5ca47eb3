-- Grain: one row per calendar day (reporting timezone) in the window.
-- Implements DAU, WAU and MAU (metrics.md, Growth) as distinct active users on the day and in the
-- trailing growth_wau_days / growth_mau_days days ending on it.
-- Each active day counts its user from that day until the day before the user's next active day,
-- at most growth_wau_days (WAU) or growth_mau_days (MAU) days: per user these spans never overlap,
-- so a day's count is a running sum of spans opening and closing, one pass over the user-days
-- instead of joining every day to its trailing 30 days.
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

active_spans as (
    select
        activity_date,
        coalesce(
            lead(activity_date) over (partition by user_id order by activity_date),
            activity_date + $growth_mau_days
        ) as next_active_date,
    from recent_activity
),

span_changes as (
    select activity_date as change_date, 1 as dau_change, 1 as wau_change, 1 as mau_change,
    from active_spans
    union all
    select activity_date + 1, -1, 0, 0,
    from active_spans
    union all
    select least(activity_date + $growth_wau_days, next_active_date), 0, -1, 0,
    from active_spans
    union all
    select least(activity_date + $growth_mau_days, next_active_date), 0, 0, -1,
    from active_spans
),

daily_changes as (
    select
        change_date,
        sum(dau_change) as dau_change,
        sum(wau_change) as wau_change,
        sum(mau_change) as mau_change,
    from span_changes
    group by change_date
),

-- from the first day a span can open on, so that spans opened before the window are counted
all_days as (
    select
        day::date as activity_date,
    from generate_series(
        ($window_start at time zone $reporting_timezone)::date - ($growth_mau_days - 1),
        ($window_end at time zone $reporting_timezone)::date - 1,
        interval 1 day
    ) as days(day)
),

rolling as (
    select
        all_days.activity_date,
        sum(coalesce(daily_changes.dau_change, 0)) over running as dau,
        sum(coalesce(daily_changes.wau_change, 0)) over running as wau,
        sum(coalesce(daily_changes.mau_change, 0)) over running as mau,
    from all_days
    left join daily_changes
        on daily_changes.change_date = all_days.activity_date
    window running as (order by all_days.activity_date)
)

select
    rolling.activity_date,
    rolling.dau::bigint as dau,
    rolling.wau::bigint as wau,
    rolling.mau::bigint as mau,
from rolling
semi join growth.window_days($window_start, $window_end, $reporting_timezone) as calendar
    on calendar.activity_date = rolling.activity_date
order by rolling.activity_date
