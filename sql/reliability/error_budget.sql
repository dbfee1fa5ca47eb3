-- Grain: one row per customer-facing service plus `overall`, as of the latest probe loaded.
-- Implements the error budget and burn rates (metrics.md, Reliability): budget = 1 - SLO over a
-- rolling window; burn rate = bad fraction / (1 - SLO), over 30 days, 6 h, 1 h, 30 min and 5 min.
with
services as (
    select
        service_id,
    from raw.services
    where customer_facing
),

latest as (
    select
        max(checked_at) as as_of,
    from raw.health_checks
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
    where health_checks.checked_at > latest.as_of - to_days($reliability_error_budget_days)
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
        bad_fraction / (1 - $reliability_slo) as burn_rate_budget_window,
        bad_fraction_6h / (1 - $reliability_slo) as burn_rate_6h,
        bad_fraction_1h / (1 - $reliability_slo) as burn_rate_1h,
        bad_fraction_30m / (1 - $reliability_slo) as burn_rate_30m,
        bad_fraction_5m / (1 - $reliability_slo) as burn_rate_5m,
    from bad_fractions
)

select
    burn_rates.service_id,
    latest.as_of,
    $reliability_slo as slo,
    burn_rates.probes,
    burn_rates.bad_probes,
    1 - burn_rates.burn_rate_budget_window as error_budget_remaining,
    burn_rates.burn_rate_budget_window,
    burn_rates.burn_rate_6h,
    burn_rates.burn_rate_1h,
    burn_rates.burn_rate_30m,
    burn_rates.burn_rate_5m,
    coalesce(
        (burn_rates.burn_rate_1h > $reliability_burn_rate_fast
            and burn_rates.burn_rate_5m > $reliability_burn_rate_fast)
        or (burn_rates.burn_rate_6h > $reliability_burn_rate_slow
            and burn_rates.burn_rate_30m > $reliability_burn_rate_slow),
        false
    ) as page,
from burn_rates
cross join latest
order by burn_rates.service_id
