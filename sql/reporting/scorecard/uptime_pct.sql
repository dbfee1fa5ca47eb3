-- Grain: one row per as-of day in [$first_day, $last_day]. System uptime (metrics.md, scorecard):
-- probe-weighted share of successful probes over customer-facing services (the `overall` rows)
-- in the trailing uptime window ending on the day, planned maintenance excluded.
with
scored_days as (
    select day::date as as_of,
    from generate_series($first_day::date, $last_day::date, interval 1 day) as days(day)
),

overall_days as (
    select
        uptime_date,
        ok_probes,
        probes,
    from reliability.uptime_daily
    where service_id = 'overall'
        -- the first day's trailing window starts this far back
        and uptime_date > $first_day::date - $reliability_uptime_window_days::int
        and uptime_date <= $last_day::date
)

select
    scored_days.as_of,
    100.0 * sum(overall_days.ok_probes) / nullif(sum(overall_days.probes), 0) as value,
from scored_days
left join overall_days
    on overall_days.uptime_date > scored_days.as_of - $reliability_uptime_window_days::int
    and overall_days.uptime_date <= scored_days.as_of
group by scored_days.as_of
