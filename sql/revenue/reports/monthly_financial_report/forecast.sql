-- Grain: one row per series (revenue, costs) and month ahead of the forecast fitted through the
-- report's month (revenue.forecasts): the point forecast and its prediction interval. Without
-- that forecast, one row saying so (a fit needs revenue_forecast_min_months months of revenue).
with
reported as (
    select cast(date_trunc('month', $as_of + 1) - interval 1 month as date) as month
),

fitted as (
    select forecasts.*,
    from revenue.forecasts
    inner join reported on forecasts.fitted_through = reported.month
)

select
    series,
    horizon,
    target_month,
    forecast,
    lower_bound,
    upper_bound,
    round(100 * interval_level) as interval_pct,
from fitted
union all
select
    'no forecast fitted through ' || strftime(reported.month, '%Y-%m') || ' (a fit needs '
    || $revenue_forecast_min_months || ' months of revenue)',
    null,
    null,
    null,
    null,
    null,
    null,
from reported
where not exists (select 1 from fitted)
order by series, horizon
