-- Grain: one row per probed service: latency p50/p95/p99 in ms over the last complete calendar
-- quarter (reporting timezone, complete on the as-of day) and the quarter before, with the QoQ
-- change in percent. The sample is latency_daily's (successful probes with a latency, outside
-- planned maintenance), percentiles interpolated over the whole quarter's probes: a quarter's
-- p99 cannot be built from daily percentiles, so this reads the probes.
with
bounds as (
    select
        (date_trunc('quarter', $as_of::date + 1) - interval 3 month)::date as quarter_start,
        (date_trunc('quarter', $as_of::date + 1) - interval 6 month)::date as previous_start,
        date_trunc('quarter', $as_of::date + 1)::date as quarter_end,
),

probes as (
    select
        health_checks.service_id,
        -- cut the quarter in the reporting timezone
        date_trunc('quarter', health_checks.checked_at at time zone $reporting_timezone)::date
            = bounds.quarter_start as in_quarter,
        health_checks.latency_ms,
    from raw.health_checks as health_checks
    cross join bounds
    where health_checks.checked_at >= timezone($reporting_timezone, bounds.previous_start::timestamp)
        and health_checks.checked_at < timezone($reporting_timezone, bounds.quarter_end::timestamp)
        and health_checks.ok
        and not health_checks.planned_maintenance
        and health_checks.latency_ms is not null
),

per_service as (
    select
        service_id,
        quantile_cont(latency_ms, 0.5) filter (where in_quarter) as p50_ms,
        quantile_cont(latency_ms, 0.95) filter (where in_quarter) as p95_ms,
        quantile_cont(latency_ms, 0.99) filter (where in_quarter) as p99_ms,
        quantile_cont(latency_ms, 0.5) filter (where not in_quarter) as previous_p50_ms,
        quantile_cont(latency_ms, 0.95) filter (where not in_quarter) as previous_p95_ms,
        quantile_cont(latency_ms, 0.99) filter (where not in_quarter) as previous_p99_ms,
    from probes
    group by service_id
)

select
    service_id,
    round(p50_ms, 1) as p50_ms,
    round(previous_p50_ms, 1) as previous_p50_ms,
    round(100.0 * (p50_ms - previous_p50_ms) / nullif(previous_p50_ms, 0), 1) as p50_change_pct,
    round(p95_ms, 1) as p95_ms,
    round(previous_p95_ms, 1) as previous_p95_ms,
    round(100.0 * (p95_ms - previous_p95_ms) / nullif(previous_p95_ms, 0), 1) as p95_change_pct,
    round(p99_ms, 1) as p99_ms,
    round(previous_p99_ms, 1) as previous_p99_ms,
    round(100.0 * (p99_ms - previous_p99_ms) / nullif(previous_p99_ms, 0), 1) as p99_change_pct,
from per_service
order by service_id
