-- Grain: one row per probed service and 'overall': uptime over the last complete calendar
-- quarter (reporting timezone, complete on the as-of day) and the quarter before, from
-- uptime_monthly's probes (planned maintenance excluded), with the QoQ change in percentage
-- points and the SLO (setting reliability_slo) it is held against.
with
bounds as (
    select * from reliability.quarter_bounds($as_of)
),

per_service as (
    select
        uptime_monthly.service_id,
        sum(uptime_monthly.probes) filter (
            where uptime_monthly.uptime_month >= bounds.quarter_start
        ) as probes,
        sum(uptime_monthly.ok_probes) filter (
            where uptime_monthly.uptime_month >= bounds.quarter_start
        ) as ok_probes,
        sum(uptime_monthly.probes) filter (
            where uptime_monthly.uptime_month < bounds.quarter_start
        ) as previous_probes,
        sum(uptime_monthly.ok_probes) filter (
            where uptime_monthly.uptime_month < bounds.quarter_start
        ) as previous_ok_probes,
    from reliability.uptime_monthly as uptime_monthly
    cross join bounds
    where uptime_monthly.uptime_month >= bounds.previous_start
        and uptime_monthly.uptime_month < bounds.quarter_start + interval 3 month
    group by uptime_monthly.service_id
),

rates as (
    select
        service_id,
        coalesce(probes, 0)::bigint as probes,
        100.0 * ok_probes / nullif(probes, 0) as uptime_pct,
        100.0 * previous_ok_probes / nullif(previous_probes, 0) as previous_uptime_pct,
    from per_service
)

select
    service_id,
    probes,
    round(uptime_pct, 3) as uptime_pct,
    round(previous_uptime_pct, 3) as previous_uptime_pct,
    round(uptime_pct - previous_uptime_pct, 3) as change_pct_points,
    100.0 * $reliability_slo as slo_pct,
    uptime_pct < 100.0 * $reliability_slo as below_slo,
from rates
order by service_id = 'overall', service_id
