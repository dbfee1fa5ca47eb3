-- Grain: one row per as-of day in [$first_day, $last_day]. LTV:CAC (metrics.md, scorecard):
-- blended LTV / blended CAC of the last calendar month complete on the day (computed in
-- revenue.unit_economics).
with
scored_days as (
    select
        day::date as as_of,
        -- the month ending on the day when it is a month's last day, else the month before
        (date_trunc('month', day::date + 1) - interval 1 month)::date as month,
    from generate_series($first_day::date, $last_day::date, interval 1 day) as days(day)
),

blended as (
    select
        month,
        ltv_to_cac,
    from revenue.unit_economics
    where channel = 'blended'
)

select
    scored_days.as_of,
    blended.ltv_to_cac as value,
from scored_days
left join blended using (month)
