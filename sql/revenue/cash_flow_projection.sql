-- Grain: one row per forecast month (fitted_through, a calendar month of the window) and horizon.
-- Implements cash-flow projection = opening cash + forecast revenue - forecast costs, cumulated
-- over the horizon (metrics.md, Revenue: forecasts). Low and high pair the opposite interval
-- bounds (low revenue with high costs), so they bracket the projection.
with
forecasts as (
    select
        fitted_through,
        series,
        horizon,
        target_month,
        forecast,
        lower_bound,
        upper_bound,
    from revenue.forecasts
    where fitted_through >= ($window_start at time zone $reporting_timezone)::date
        and fitted_through < ($window_end at time zone $reporting_timezone)::date
),

cash_statements as (
    select
        as_of_date,
        cash_amount,
    from raw.cash_balances
),

paired as (
    select
        fitted_through,
        horizon,
        target_month,
        max(forecast) filter (where series = 'revenue') as revenue,
        max(lower_bound) filter (where series = 'revenue') as revenue_lower,
        max(upper_bound) filter (where series = 'revenue') as revenue_upper,
        max(forecast) filter (where series = 'costs') as costs,
        max(lower_bound) filter (where series = 'costs') as costs_lower,
        max(upper_bound) filter (where series = 'costs') as costs_upper,
    from forecasts
    group by all
),

opening as (
    -- the last cash statement on or before the first forecast month begins
    select
        fitted_through,
        arg_max(cash_statements.cash_amount, cash_statements.as_of_date) as opening_cash,
        max(cash_statements.as_of_date) as opening_cash_date,
    from (select distinct fitted_through from forecasts) as fits
    inner join cash_statements
        on cash_statements.as_of_date <= (fits.fitted_through + interval 1 month)::date
    group by fitted_through
)

select
    paired.fitted_through,
    paired.horizon,
    paired.target_month,
    opening.opening_cash_date,
    opening.opening_cash,
    paired.revenue,
    paired.costs,
    opening.opening_cash + sum(paired.revenue - paired.costs) over cumulative as closing_cash,
    opening.opening_cash + sum(paired.revenue_lower - paired.costs_upper) over cumulative
        as closing_cash_low,
    opening.opening_cash + sum(paired.revenue_upper - paired.costs_lower) over cumulative
        as closing_cash_high,
from paired
inner join opening using (fitted_through)
window cumulative as (partition by paired.fitted_through order by paired.horizon)
