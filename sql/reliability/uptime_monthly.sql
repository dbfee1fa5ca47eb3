-- Grain: one row per calendar month (reporting timezone; its first day) and probed service, plus
-- an `overall` row per month: probe-weighted over customer-facing services. Implements System uptime (metrics.md,
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
        -- cut the calendar month in the reporting timezone
        date_trunc('month', (checked_at at time zone $reporting_timezone))::date as uptime_month,
        ok,
        planned_maintenance,
    from raw.health_checks
),

per_service as (
    select
        window_probes.uptime_month,
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
        uptime_month,
        'overall' as service_id,
        true as customer_facing,
        sum(probes) as probes,
        sum(ok_probes) as ok_probes,
        sum(maintenance_probes) as maintenance_probes,
    from per_service
    where customer_facing
    group by uptime_month
),

all_rows as (
    select * from per_service
    union all by name
    select * from overall
)

select
    uptime_month,
    service_id,
    customer_facing,
    probes::bigint as probes,
    ok_probes::bigint as ok_probes,
    maintenance_probes::bigint as maintenance_probes,
    100.0 * ok_probes / nullif(probes, 0) as uptime_pct,
from all_rows
order by uptime_month, service_id
