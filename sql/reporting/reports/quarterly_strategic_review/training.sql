-- Grain: one row per quarter compared (the one holding the as-of day first): training
-- assignments due in the quarter's evaluated months (compliance.control_results, control
-- training_completion), those completed by their due day, and the completion rate against the
-- control's threshold.
with
per_quarter as (
    select
        quarters.is_current,
        quarters.quarter,
        count(results.period_month) as months,
        coalesce(sum(results.evaluated), 0) as assignments_due,
        coalesce(sum(results.passing), 0) as completed_on_time,
        max(results.threshold_pct) as threshold_pct,
    from reporting.strategic_quarters($as_of) as quarters
    left join compliance.control_results as results
        on results.period_month between quarters.first_day and quarters.last_day
        and results.control_id = 'training_completion'
    group by all
)

select
    quarter,
    months,
    assignments_due::bigint as assignments_due,
    completed_on_time::bigint as completed_on_time,
    round(100.0 * completed_on_time / nullif(assignments_due, 0), 1) as completion_pct,
    threshold_pct,
from per_quarter
order by is_current desc
