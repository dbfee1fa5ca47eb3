-- Grain: one row per as-of day in [$first_day, $last_day]. Process improvement % (metrics.md,
-- scorecard): (previous quarter's median cycle time - this quarter's) / previous x 100, where
-- "this quarter" is the last calendar quarter complete on the day (the quarter ending on the day
-- when it is a quarter's last day, else the one before) and "previous" the quarter before it
-- (computed in delivery.cycle_time_quarterly, all item types and teams).
with
scored_days as (
    select
        day::date as as_of,
        (date_trunc('quarter', day::date + 1) - interval 3 month)::date as quarter,
    from generate_series($first_day::date, $last_day::date, interval 1 day) as days(day)
),

improvement as (
    select
        quarter,
        improvement_pct,
    from delivery.cycle_time_quarterly
    where item_type = 'all'
        and team = 'all'
)

select
    scored_days.as_of,
    improvement.improvement_pct as value,
from scored_days
left join improvement using (quarter)
