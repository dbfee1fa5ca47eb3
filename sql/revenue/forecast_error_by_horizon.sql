-- Grain: one row per series (revenue, costs) and forecast horizon in months.
-- The forecast's past errors kept visible (metrics.md, Revenue: forecasts): mean error (bias),
-- mean absolute percentage error and how often the actual fell inside the interval.
select
    series,
    horizon,
    count(*) as forecasts_scored,
    avg(error)::decimal(18, 2) as mean_error,
    avg(abs_pct_error) as mean_abs_pct_error,
    avg(within_interval::integer) * 100 as interval_coverage_pct,
from revenue.forecast_vs_actual
group by all
