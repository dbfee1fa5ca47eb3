-- Grain: one row per day of the 28 days ending on the last complete ISO week's Sunday: DAU and
-- its trailing 28-day mean (the days before it), the line the anomaly rule measures against.
with
bounds as (
    select
        cast(date_trunc('week', $as_of + 1) as date) - 1 as week_end,
),

daily as (
    -- 28 days before the first day shown feed its trailing mean
    select
        activity_date,
        active_users,
        avg(active_users) over (
            order by activity_date rows between 28 preceding and 1 preceding
        ) as trailing_mean,
    from growth.daily_active_users
    where activity_date between (select week_end - 55 from bounds) and (select week_end from bounds)
)

select
    activity_date,
    active_users,
    round(trailing_mean, 2) as trailing_28_day_mean,
from daily
where activity_date between (select week_end - 27 from bounds) and (select week_end from bounds)
order by activity_date
