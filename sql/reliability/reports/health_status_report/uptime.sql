-- Grain: one row per service: probes and uptime over the 7 days of uptime_daily ending with
-- $as_of, and the uptime of $as_of itself (planned maintenance is already excluded there).
select
    service_id,
    sum(probes)::bigint as probes,
    100.0 * sum(ok_probes) / nullif(sum(probes), 0) as uptime_pct_7d,
    any_value(uptime_pct) filter (where uptime_date = $as_of::date) as uptime_pct_day,
from reliability.uptime_daily
where uptime_date between $as_of::date - 6 and $as_of::date
group by service_id
order by service_id
