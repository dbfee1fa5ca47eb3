-- Grain: one row per month of the 12 months to the report's month and of the months its
-- forecast covers: actual revenue (revenue.gross_margin_monthly), then the revenue forecast
-- fitted through the report's month with its interval (revenue.forecasts), for the picture.
with
reported as (
    select cast(date_trunc('month', $as_of + 1) - interval 1 month as date) as month
),

actuals as (
    select
        gross_margin_monthly.month,
        gross_margin_monthly.revenue,
    from revenue.gross_margin_monthly
    inner join reported
        on gross_margin_monthly.month
        between reported.month - interval 11 month and reported.month
),

ahead as (
    select
        forecasts.target_month as month,
        forecasts.forecast,
        forecasts.lower_bound,
        forecasts.upper_bound,
    from revenue.forecasts
    inner join reported on forecasts.fitted_through = reported.month
    where forecasts.series = 'revenue'
)

select
    month,
    actuals.revenue,
    ahead.forecast,
    ahead.lower_bound,
    ahead.upper_bound,
from actuals
full join ahead using (month)
order by month
