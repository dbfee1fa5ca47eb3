-- Grain: one row per series and months ahead: the error record of every forecast whose month is
-- up to the report's month (revenue.forecast_vs_actual; later months are left out, so a report
-- re-run for an earlier day reads as it did then): forecasts scored, mean error (bias), mean
-- absolute % error and interval coverage %. Without any, one row saying so.
with
reported as (
    select cast(date_trunc('month', $as_of + 1) - interval 1 month as date) as month
),

scored as (
    select forecast_vs_actual.*,
    from revenue.forecast_vs_actual
    inner join reported on forecast_vs_actual.target_month <= reported.month
),

by_horizon as (
    select
        series,
        horizon,
        count(*) as forecasts_scored,
        round(avg(error), 2) as mean_error,
        round(avg(abs_pct_error), 1) as mean_abs_pct_error,
        round(100 * avg(within_interval::integer), 1) as interval_coverage_pct,
    from scored
    group by series, horizon
)

select
    series,
    horizon,
    forecasts_scored,
    mean_error,
    mean_abs_pct_error,
    interval_coverage_pct,
from by_horizon
union all
select
    'no forecast scored yet: none has reached its month by ' || strftime(reported.month, '%Y-%m'),
    null,
    null,
    null,
    null,
    null,
from reported
where not exists (select 1 from scored)
order by series, horizon
