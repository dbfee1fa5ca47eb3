-- Grain: one row per as-of day in [$first_day, $last_day]. Support resolution time (metrics.md,
-- scorecard): median hours from first creation to resolution over tickets resolved in the
-- trailing window ending on the day (share within target: support.support_daily).
with
scored_days as (
    select day::date as as_of,
    from generate_series($first_day::date, $last_day::date, interval 1 day) as days(day)
),

resolved as (
    select
        resolved_date,
        resolution_hours,
    from support.ticket_facts
    -- the first day's trailing window starts this far back
    where resolved_date > $first_day::date - $support_resolution_window_days::int
        and resolved_date <= $last_day::date
)

select
    scored_days.as_of,
    median(resolved.resolution_hours) as value,
from scored_days
left join resolved
    on resolved.resolved_date > scored_days.as_of - $support_resolution_window_days::int
    and resolved.resolved_date <= scored_days.as_of
group by scored_days.as_of
