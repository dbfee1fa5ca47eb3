-- Shared steps of the reliability queries, as DuckDB macros (run before the domain's queries).
-- A macro sees no bound parameters: the window and the reporting timezone come in as
-- arguments. DuckDB binds a macro's body when it is created, so each macro below is created only
-- once the tables it reads exist; each reads only tables that every query calling it depends on.

-- System uptime (metrics.md, scorecard uptime_pct) at a grain ('day', 'month'): one row per
-- period (cut in the reporting timezone; period_start is its first day) and probed service, plus an
-- `overall` row per period, probe-weighted over customer-facing services: share of probes that
-- succeeded, planned-maintenance probes excluded. Probes checked in [probes_from, probes_before)
-- (NULL: unbounded).
create or replace macro reliability.uptime(
    grain, reporting_timezone, probes_from := null, probes_before := null
) as table
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
            -- cut the period in the reporting timezone
            date_trunc(grain, checked_at at time zone reporting_timezone)::date as period_start,
            ok,
            planned_maintenance,
        from raw.health_checks
        where checked_at >= coalesce(probes_from, '-infinity'::timestamptz)
            and checked_at < coalesce(probes_before, 'infinity'::timestamptz)
    ),

    per_service as (
        select
            window_probes.period_start,
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
            period_start,
            'overall' as service_id,
            true as customer_facing,
            sum(probes) as probes,
            sum(ok_probes) as ok_probes,
            sum(maintenance_probes) as maintenance_probes,
        from per_service
        where customer_facing
        group by period_start
    ),

    all_rows as (
        select * from per_service
        union all by name
        select * from overall
    )

    select
        period_start,
        service_id,
        customer_facing,
        probes::bigint as probes,
        ok_probes::bigint as ok_probes,
        maintenance_probes::bigint as maintenance_probes,
        100.0 * ok_probes / nullif(probes, 0) as uptime_pct,
    from all_rows;
