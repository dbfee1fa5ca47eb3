-- Grain: one row per service on the day $as_of (no rows: no successful probe that day).
select
    service_id,
    latency_p50_ms,
    latency_p95_ms,
from reliability.latency_daily
where latency_date = $as_of::date
order by service_id
