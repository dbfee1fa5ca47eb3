-- Grain: one row per as-of day in [$first_day, $last_day]. MoM user growth (metrics.md,
-- scorecard): MAU of the month to date against MAU of the same days of the month before (to its
-- end at most; the whole month before when the day ends its month); NULL when that month had no
-- active users. A user counts in a month to date from their first active day in that month.
with
scored_days as (
    select
        as_of,
        month_start,
        previous_start,
        case
            when as_of = last_day(as_of) then month_start - 1
            else least(previous_start + (as_of - month_start)::integer, month_start - 1)
        end as previous_through,
    from (
        select
            day::date as as_of,
            date_trunc('month', day)::date as month_start,
            (date_trunc('month', day) - interval 1 month)::date as previous_start,
        from generate_series($first_day::date, $last_day::date, interval 1 day) as days(day)
    )
),

first_active_in_month as (
    select
        date_trunc('month', activity_date)::date as month_start,
        min(activity_date) as first_active,
    from growth.user_activity_days
    -- the first day compares with the month before its own
    where activity_date >= (date_trunc('month', $first_day::date) - interval 1 month)::date
        and activity_date <= $last_day::date
    group by user_id, date_trunc('month', activity_date)
),

newly_active as (
    select
        month_start,
        first_active,
        count(*) as users,
    from first_active_in_month
    group by month_start, first_active
),

month_to_date as (
    select
        scored_days.as_of,
        coalesce(sum(newly_active.users), 0) as mau,
    from scored_days
    left join newly_active
        on newly_active.month_start = scored_days.month_start
        and newly_active.first_active <= scored_days.as_of
    group by scored_days.as_of
),

same_days_before as (
    select
        scored_days.as_of,
        coalesce(sum(newly_active.users), 0) as previous_mau,
    from scored_days
    left join newly_active
        on newly_active.month_start = scored_days.previous_start
        and newly_active.first_active <= scored_days.previous_through
    group by scored_days.as_of
)

select
    as_of,
    100.0 * (month_to_date.mau - same_days_before.previous_mau)
        / nullif(same_days_before.previous_mau, 0) as value,
from month_to_date
inner join same_days_before using (as_of)
