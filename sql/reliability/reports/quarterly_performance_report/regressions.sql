-- Grain: one row per regression found in the last complete calendar quarter (reporting timezone,
-- complete on the as-of day), then what could not be judged, or that there is none. The rule:
-- a service regressed when its p95 latency rose more than 10 % over the quarter before (both
-- quarters with probes), or when its uptime over the quarter is below the SLO (setting
-- reliability_slo). Latency and uptime as in the latency and uptime sections.
with
bounds as (
    select * from reliability.quarter_bounds($as_of)
),

latency as (
    select
        service_id,
        p95_ms,
        previous_p95_ms,
    from reliability.quarter_latency($as_of, $reporting_timezone)
),

uptime as (
    select
        uptime_monthly.service_id,
        100.0 * sum(uptime_monthly.ok_probes) / nullif(sum(uptime_monthly.probes), 0)
            as uptime_pct,
    from reliability.uptime_monthly as uptime_monthly
    cross join bounds
    where uptime_monthly.uptime_month >= bounds.quarter_start
        and uptime_monthly.uptime_month < bounds.quarter_end
    group by uptime_monthly.service_id
),

found as (
    select
        service_id,
        'p95 latency' as measure,
        format(
            'p95 {:.1f} ms, up {:.1f} % from {:.1f} ms (rule: up more than 10 %)',
            p95_ms,
            100.0 * (p95_ms - previous_p95_ms) / previous_p95_ms,
            previous_p95_ms
        ) as regression,
    from latency
    where p95_ms > 1.1 * previous_p95_ms
    union all
    select
        service_id,
        'uptime' as measure,
        format(
            'uptime {:.3f} % below the SLO {:g} %', uptime_pct, 100.0 * $reliability_slo
        ) as regression,
    from uptime
    where uptime_pct < 100.0 * $reliability_slo
),

judged as (
    select
        (select count(*) from uptime where uptime_pct is not null) as services_with_probes,
        (select count(previous_p95_ms) from latency) as services_compared,
),

notes as (
    -- what could not be judged, said plainly rather than read as "no regression"
    select
        null as service_id,
        null as measure,
        'no health-check probes loaded for the quarter' as regression,
    from judged
    where services_with_probes = 0
    union all
    select
        null as service_id,
        'p95 latency' as measure,
        'not compared: no latency probes in the quarter before' as regression,
    from judged
    where services_with_probes > 0
        and services_compared = 0
    union all
    select
        null as service_id,
        null as measure,
        'no service regressed' as regression,
    from judged
    where services_with_probes > 0
        and not exists (select 1 from found)
)

select
    service_id,
    measure,
    regression,
from found
union all
select
    service_id,
    measure,
    regression,
from notes
order by service_id is null, service_id = 'overall', service_id, measure
