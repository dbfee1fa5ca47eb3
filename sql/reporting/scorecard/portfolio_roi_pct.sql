-- Grain: one row per as-of day in [$first_day, $last_day]. Portfolio ROI % (metrics.md,
-- scorecard): (revenue - total cost) / total cost x 100 over the trailing quarter ending with the
-- last calendar month complete on the day (computed in revenue.portfolio_roi).
with
scored_days as (
    select
        day::date as as_of,
        -- the month ending on the day when it is a month's last day, else the month before
        (date_trunc('month', day::date + 1) - interval 1 month)::date as month,
    from generate_series($first_day::date, $last_day::date, interval 1 day) as days(day)
),

portfolio as (
    select
        month,
        roi_pct,
    from revenue.portfolio_roi
    where product_id = 'portfolio'
)

select
    scored_days.as_of,
    portfolio.roi_pct as value,
from scored_days
left join portfolio using (month)
