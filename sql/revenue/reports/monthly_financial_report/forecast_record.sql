-- Grain: one row per past forecast of the report's month (revenue.forecast_vs_actual: series,
-- months ahead): what was forecast, the interval, the actual, the error (actual - forecast) and
-- whether the actual fell inside the interval. Without any, one row saying so.
with
reported as (
    select cast(date_trunc('month', $as_of + 1) - interval 1 month as date) as month
),

scored as (
    select forecast_vs_actual.*,
    from revenue.forecast_vs_actual
    inner join reported on forecast_vs_actual.target_month = reported.month
)

select
    series,
    horizon,
    fitted_through,
    forecast,
    lower_bound,
    upper_bound,
    actual,
    error,
    round(abs_pct_error, 1) as abs_pct_error,
    within_interval,
from scored
union all
select
    'no forecast was made for ' || strftime(reported.month, '%Y-%m'),
    null,
    null,
    null,
    null,
    null,
    null,
    null,
    null,
    null,
from reported
where not exists (select 1 from scored)
order by series, horizon
