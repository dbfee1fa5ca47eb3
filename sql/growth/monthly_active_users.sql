-- Grain: one row per calendar month (reporting timezone) with computed activity.
-- Implements MAU and MoM user growth (metrics.md, scorecard): MAU = distinct users with any
-- qualifying event in the month; a month still running is compared, month-to-date, against the
-- same days of the month before. MoM is NULL when the month before had no active users.
with
bounds as (
    select
        min(activity_date) as first_day,
        max(activity_date) as data_through,
    from growth.user_activity_days
),

months as (
    select
        month::date as month,
        least(last_day(month::date), bounds.data_through) as covered_through,
    from bounds
    cross join generate_series(
        date_trunc('month', bounds.first_day), bounds.data_through, interval 1 month
    ) as months(month)
),

month_windows as (
    select
        month,
        covered_through,
        (month - interval 1 month)::date as previous_month,
        -- a complete month against the whole month before; a running one against its same days
        case
            when covered_through = last_day(month) then month - 1
            else least(
                (month - interval 1 month)::date + (covered_through - month)::integer, month - 1
            )
        end as previous_through,
    from months
),

activity as (
    select
        activity_date,
        user_id,
    from growth.user_activity_days
),

measured as (
    select
        month_windows.month,
        month_windows.covered_through,
        month_windows.previous_through,
        count(distinct activity.user_id) filter (
            where activity.activity_date >= month_windows.month
        ) as mau,
        count(distinct activity.user_id) filter (
            where activity.activity_date < month_windows.month
        ) as previous_mau,
    from month_windows
    left join activity
        on activity.activity_date >= month_windows.previous_month
        and activity.activity_date <= month_windows.covered_through
        and (
            activity.activity_date >= month_windows.month
            or activity.activity_date <= month_windows.previous_through
        )
    group by all
)

select
    month,
    covered_through,
    covered_through = last_day(month) as is_complete,
    mau,
    previous_mau,
    previous_through,
    round(100.0 * (mau - previous_mau) / nullif(previous_mau, 0), 2) as mom_growth_pct,
from measured
order by month
