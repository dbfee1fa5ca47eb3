-- Grain: one row per cost category of the report's month (revenue.budget_variance): budget,
-- actual booked costs, variance (actual - budget; positive = over) and its assessment.
with
reported as (
    select cast(date_trunc('month', $as_of + 1) - interval 1 month as date) as month
)

select
    budget_variance.category,
    budget_variance.budget,
    budget_variance.actual,
    budget_variance.variance,
    round(budget_variance.variance_pct, 1) as variance_pct,
    budget_variance.assessment,
from revenue.budget_variance
inner join reported using (month)
order by budget_variance.category
