-- Grain: one row per calendar day (reporting timezone) and probed service, plus an `overall` row
-- per day: probe-weighted over customer-facing services. Implements System uptime (metrics.md,
-- scorecard uptime_pct): share of probes that succeeded, planned-maintenance probes excluded.
with
services as (
    select
        service_id,
        customer_facing,
    from raw.services
),

window_probes as (
    select
        service_id,
        -- cut the calendar day in the reporting timezone
        (checked_at at time zone $reporting_timezone)::date as uptime_date,
        ok,
        planned_maintenance,
    from raw.health_checks
    where checked_at >= $window_start
        and checked_at < $window_end
),

per_service as (
    select
        window_probes.uptime_date,
        window_probes.service_id,
        coalesce(services.customer_facing, false) as customer_facing,
        count(*) filter (where not window_probes.planned_maintenance) as probes,
        count(*) filter (where not window_probes.planned_maintenance and window_probes.ok)
            as ok_probes,
        count(*) filter (where window_probes.planned_maintenance) as maintenance_probes,
    from window_probes
    left join services on window_probes.service_id = services.service_id
    group by all
),

overall as (
    select
        uptime_date,
        'overall' as service_id,
        true as customer_facing,
        sum(probes) as probes,
        sum(ok_probes) as ok_probes,
        sum(maintenance_probes) as maintenance_probes,
    from per_service
    where customer_facing
    group by uptime_date
),

all_rows as (
    select * from per_service
    union all by name
    select * from overall
)

select
    uptime_date,
    service_id,
    customer_facing,
    probes::bigint as probes,
    ok_probes::bigint as ok_probes,
    maintenance_probes::bigint as maintenance_probes,
    100.0 * ok_probes / nullif(probes, 0) as uptime_pct,
from all_rows
order by uptime_date, service_id
