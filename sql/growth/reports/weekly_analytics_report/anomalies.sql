-- Grain: one row per day of the last complete ISO week whose DAU or signups lie beyond the
-- trailing 28-day mean +/- 3 standard deviations (the 28 days before it, sample deviation, all
-- 28 present; after 28 equal days any other value is beyond, its deviation in sd empty); one
-- row 'none' when no day does.
with
bounds as (
    select
        cast(date_trunc('week', $as_of + 1) as date) - 7 as week_start,
),

signups_daily as (
    -- every day of the range, 0 on a day without signups
    select
        cast(days.day as date) as day,
        cast(coalesce(sum(signups.signups), 0) as bigint) as value,
    from range(
        (select week_start - 28 from bounds),
        (select week_start + 7 from bounds),
        interval 1 day
    ) as days(day)
    left join growth.signups_by_channel_daily as signups
        on signups.signup_date = cast(days.day as date)
    group by days.day
),

series as (
    -- the 28 days before the week feed its first day's trailing window
    select
        'DAU' as metric,
        activity_date as day,
        active_users as value,
    from growth.daily_active_users
    where activity_date between (select week_start - 28 from bounds)
        and (select week_start + 6 from bounds)
    union all
    select
        'signups',
        day,
        value,
    from signups_daily
),

windowed as (
    select
        metric,
        day,
        value,
        avg(value) over previous_28 as trailing_mean,
        stddev_samp(value) over previous_28 as trailing_sd,
        count(value) over previous_28 as trailing_days,
    from series
    window previous_28 as (partition by metric order by day rows between 28 preceding and 1 preceding)
),

flagged as (
    select
        metric,
        day,
        value,
        trailing_mean,
        trailing_sd,
        (value - trailing_mean) / nullif(trailing_sd, 0) as deviation_sd,
    from windowed
    where day between (select week_start from bounds) and (select week_start + 6 from bounds)
        and trailing_days = 28
        and abs(value - trailing_mean) > 3 * trailing_sd
)

select
    metric,
    day,
    value,
    round(trailing_mean, 2) as trailing_28_day_mean,
    round(trailing_sd, 2) as trailing_28_day_sd,
    round(deviation_sd, 2) as deviation_sd,
    case when value > trailing_mean then 'above' else 'below' end as direction,
from flagged
union all
select
    'none: no day of the week beyond 3 sd of its trailing 28 days',
    null,
    null,
    null,
    null,
    null,
    null,
where not exists (select 1 from flagged)
order by metric, day
