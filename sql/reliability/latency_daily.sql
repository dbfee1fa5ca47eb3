-- Grain: one row per calendar day (reporting timezone) and probed service.
-- Latency p50/p95 of successful probes (metrics.md, Reliability); planned-maintenance probes and
-- timed-out probes (no latency) are left out, as in uptime.
with
window_probes as (
    select
        service_id,
        -- cut the calendar day in the reporting timezone
        (checked_at at time zone $reporting_timezone)::date as latency_date,
        latency_ms,
    from raw.health_checks
    where checked_at >= $window_start
        and checked_at < $window_end
        and ok
        and not planned_maintenance
        and latency_ms is not null
)

select
    latency_date,
    service_id,
    count(*) as probes,
    quantile_cont(latency_ms, 0.5) as latency_p50_ms,
    quantile_cont(latency_ms, 0.95) as latency_p95_ms,
from window_probes
group by all
order by latency_date, service_id
