-- Grain: one row per past forecast (month fitted through, series, horizon) whose target month
-- has an actual. The record of forecasts against actuals (metrics.md, Revenue: forecasts).
-- The forecasts pass through unchanged: their columns are selected once, from revenue.forecasts.
with
actuals as (
    select
        month as target_month,
        'revenue' as series,
        revenue as actual,
    from revenue.gross_margin_monthly
    union all
    select
        month as target_month,
        'costs' as series,
        total_costs as actual,
    from revenue.gross_margin_monthly
)

select
    forecasts.fitted_through,
    forecasts.series,
    forecasts.horizon,
    forecasts.target_month,
    forecasts.forecast,
    forecasts.lower_bound,
    forecasts.upper_bound,
    actuals.actual,
    actuals.actual - forecasts.forecast as error,
    abs(actuals.actual - forecasts.forecast) / nullif(abs(actuals.actual), 0) * 100
        as abs_pct_error,
    actuals.actual between forecasts.lower_bound and forecasts.upper_bound as within_interval,
from revenue.forecasts
inner join actuals using (target_month, series)
