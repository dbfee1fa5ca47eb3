-- Grain: one row per service on the latest day latency_daily holds.
select
    service_id,
    latency_p50_ms,
    latency_p95_ms,
from reliability.latency_daily
where latency_date = (select max(latency_date) from reliability.latency_daily)
order by service_id
