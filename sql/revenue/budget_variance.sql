-- Grain: one row per calendar month of the window and cost category with a budget or a cost.
-- Implements budget variance = actual - budget per category; for costs, under budget is
-- favourable (metrics.md, Revenue: forecasts).
with
budgets as (
    select
        month,
        category,
        amount,
    from raw.budgets
    -- budgets and costs are dated by month already: no timezone to apply
    where month >= ($window_start at time zone $reporting_timezone)::date
        and month < ($window_end at time zone $reporting_timezone)::date
),

actuals as (
    select
        month,
        category,
        sum(amount) as amount,
    from raw.costs
    where month >= ($window_start at time zone $reporting_timezone)::date
        and month < ($window_end at time zone $reporting_timezone)::date
    group by all
),

compared as (
    select
        month,
        category,
        coalesce(budgets.amount, 0)::decimal(38, 2) as budget,
        coalesce(actuals.amount, 0)::decimal(38, 2) as actual,
    from budgets
    full outer join actuals using (month, category)
)

select
    month,
    category,
    budget,
    actual,
    actual - budget as variance,
    (actual - budget) / nullif(budget, 0) * 100 as variance_pct,
    case
        when actual < budget then 'favourable'
        when actual > budget then 'unfavourable'
        else 'on budget'
    end as assessment,
from compared
