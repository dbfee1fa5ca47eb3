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

-- The error budget and burn rates (metrics.md, Reliability) as of the instant `until` (NULL: the
-- latest probe loaded), one row per customer-facing service plus `overall`: budget = 1 - SLO over
-- the `budget_days` up to `until`; burn rate = bad fraction / (1 - SLO), over that window, 6 h,
-- 1 h, 30 min and 5 min; page on the fast pair (1 h and 5 min) or the slow pair (6 h and 30 min).
-- Reads raw.health_checks and raw.services, loaded before any reliability query runs.
create or replace macro reliability.error_budget_at(
    until, budget_days, slo, burn_rate_fast, burn_rate_slow
) as table
    with
    services as (
        select
            service_id,
        from raw.services
        where customer_facing
    ),

    latest as (
        select
            coalesce(until, (select max(checked_at) from raw.health_checks)) as as_of,
    ),

    -- looks back one error-budget window from the latest probe: the longest window computed
    recent_probes as (
        select
            health_checks.service_id,
            latest.as_of - health_checks.checked_at as age,
            not health_checks.ok as bad,
        from raw.health_checks
        cross join latest
        inner join services on health_checks.service_id = services.service_id
        where health_checks.checked_at > latest.as_of - to_days(budget_days)
            and health_checks.checked_at <= latest.as_of
            and not health_checks.planned_maintenance
    ),

    tagged as (
        select service_id, age, bad from recent_probes
        union all
        select 'overall' as service_id, age, bad from recent_probes
    ),

    bad_fractions as (
        select
            service_id,
            count(*) as probes,
            count(*) filter (where bad) as bad_probes,
            avg(bad::int) as bad_fraction,
            avg(bad::int) filter (where age < interval 6 hour) as bad_fraction_6h,
            avg(bad::int) filter (where age < interval 1 hour) as bad_fraction_1h,
            avg(bad::int) filter (where age < interval 30 minute) as bad_fraction_30m,
            avg(bad::int) filter (where age < interval 5 minute) as bad_fraction_5m,
        from tagged
        group by service_id
    ),

    burn_rates as (
        select
            service_id,
            probes,
            bad_probes,
            bad_fraction / (1 - slo) as burn_rate_budget_window,
            bad_fraction_6h / (1 - slo) as burn_rate_6h,
            bad_fraction_1h / (1 - slo) as burn_rate_1h,
            bad_fraction_30m / (1 - slo) as burn_rate_30m,
            bad_fraction_5m / (1 - slo) as burn_rate_5m,
        from bad_fractions
    )

    select
        burn_rates.service_id,
        latest.as_of,
        slo as slo,
        burn_rates.probes,
        burn_rates.bad_probes,
        1 - burn_rates.burn_rate_budget_window as error_budget_remaining,
        burn_rates.burn_rate_budget_window,
        burn_rates.burn_rate_6h,
        burn_rates.burn_rate_1h,
        burn_rates.burn_rate_30m,
        burn_rates.burn_rate_5m,
        coalesce(
            (burn_rates.burn_rate_1h > burn_rate_fast
                and burn_rates.burn_rate_5m > burn_rate_fast)
            or (burn_rates.burn_rate_6h > burn_rate_slow
                and burn_rates.burn_rate_30m > burn_rate_slow),
            false
        ) as page,
    from burn_rates
    cross join latest
    order by burn_rates.service_id;

-- The quarterly performance report's quarters: the last calendar quarter complete on `as_of`
-- (DATE, reporting timezone), its first day, the day after its last, and the quarter before's
-- first day.
create or replace macro reliability.quarter_bounds(as_of) as table
    select
        (date_trunc('quarter', as_of::date + 1) - interval 3 month)::date as quarter_start,
        (date_trunc('quarter', as_of::date + 1) - interval 6 month)::date as previous_start,
        date_trunc('quarter', as_of::date + 1)::date as quarter_end;

-- Latency p50/p95/p99 in ms per probed service over that quarter and the quarter before: the
-- sample is latency_daily's (successful probes with a latency, outside planned maintenance),
-- percentiles interpolated over the whole quarter's probes (a quarter's p99 cannot be built from
-- daily percentiles). Reads raw.health_checks, loaded before any reliability query runs.
create or replace macro reliability.quarter_latency(as_of, reporting_timezone) as table
    with
    probes as (
        select
            health_checks.service_id,
            -- cut the quarter in the reporting timezone
            date_trunc('quarter', health_checks.checked_at at time zone reporting_timezone)::date
                = bounds.quarter_start as in_quarter,
            health_checks.latency_ms,
        from raw.health_checks as health_checks
        cross join reliability.quarter_bounds(as_of) as bounds
        where health_checks.checked_at
                >= timezone(reporting_timezone, bounds.previous_start::timestamp)
            and health_checks.checked_at
                < timezone(reporting_timezone, bounds.quarter_end::timestamp)
            and health_checks.ok
            and not health_checks.planned_maintenance
            and health_checks.latency_ms is not null
    )

    select
        service_id,
        quantile_cont(latency_ms, 0.5) filter (where in_quarter) as p50_ms,
        quantile_cont(latency_ms, 0.95) filter (where in_quarter) as p95_ms,
        quantile_cont(latency_ms, 0.99) filter (where in_quarter) as p99_ms,
        quantile_cont(latency_ms, 0.5) filter (where not in_quarter) as previous_p50_ms,
        quantile_cont(latency_ms, 0.95) filter (where not in_quarter) as previous_p95_ms,
        quantile_cont(latency_ms, 0.99) filter (where not in_quarter) as previous_p99_ms,
    from probes
    group by service_id;
