-- Grain: one row per probed service: latency p50/p95/p99 in ms over the last complete calendar
-- quarter (reporting timezone, complete on the as-of day) and the quarter before, with the QoQ
-- change in percent (reliability.quarter_latency: latency_daily's sample, percentiles over the
-- whole quarter's probes).
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
from reliability.quarter_latency($as_of, $reporting_timezone)
order by service_id
