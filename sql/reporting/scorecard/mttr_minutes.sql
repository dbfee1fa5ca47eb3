-- Grain: one row per as-of day in [$first_day, $last_day]. MTTR (metrics.md, scorecard): mean
-- minutes from detection to resolution over incidents resolved in the trailing MTTR window ending
-- on the day (median and still-open count: reliability.incident_summary_monthly).
with
scored_days as (
    select day::date as as_of,
    from generate_series($first_day::date, $last_day::date, interval 1 day) as days(day)
),

resolved as (
    select
        resolved_date,
        minutes_to_resolve,
    from reliability.incidents
    -- the first day's trailing window starts this far back
    where resolved_date > $first_day::date - $reliability_mttr_window_days::int
        and resolved_date <= $last_day::date
)

select
    scored_days.as_of,
    avg(resolved.minutes_to_resolve) as value,
from scored_days
left join resolved
    on resolved.resolved_date > scored_days.as_of - $reliability_mttr_window_days::int
    and resolved.resolved_date <= scored_days.as_of
group by scored_days.as_of
