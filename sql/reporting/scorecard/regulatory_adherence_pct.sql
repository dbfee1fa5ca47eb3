-- Grain: one row per as-of day in [$first_day, $last_day]. Regulatory adherence (metrics.md,
-- Compliance): controls passing / controls evaluated x 100 in the latest calendar month complete
-- on the day (its last day on or before it), from compliance.control_results; a control with
-- nothing to evaluate that month counts in neither.
with
scored_days as (
    select day::date as as_of,
    from generate_series($first_day::date, $last_day::date, interval 1 day) as days(day)
),

months as (
    select
        period_month,
        (period_month + interval 1 month)::date - 1 as last_day,
        count(*) filter (where status = 'pass') as passing,
        count(*) filter (where status <> 'not evaluated') as evaluated,
    from compliance.control_results
    where period_month <= $last_day::date
    group by period_month
),

latest as (
    select
        scored_days.as_of,
        max(months.period_month) as period_month,
    from scored_days
    left join months on months.last_day <= scored_days.as_of
    group by scored_days.as_of
)

select
    latest.as_of,
    100.0 * months.passing / nullif(months.evaluated, 0) as value,
from latest
left join months on latest.period_month = months.period_month
