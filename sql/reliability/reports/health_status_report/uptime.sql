-- Grain: one row per service: probes and uptime over the last 7 days of uptime_daily, and the
-- uptime of its latest day (planned maintenance is already excluded there).
select
    service_id,
    sum(probes)::bigint as probes,
    100.0 * sum(ok_probes) / nullif(sum(probes), 0) as uptime_pct_7d,
    arg_max(uptime_pct, uptime_date) as uptime_pct_last_day,
from reliability.uptime_daily
where uptime_date > (select max(uptime_date) from reliability.uptime_daily) - 7
group by service_id
order by service_id
