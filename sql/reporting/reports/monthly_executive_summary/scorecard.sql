-- Grain: one row per success metric of the scorecard on the as-of day, in the playbook's order:
-- value, target and status, and the change (in the metric's unit) against the month before's
-- last day and against the baseline (reporting.baseline); empty where either side has no value.
select
    playbook.name as metric,
    playbook.unit,
    round(today.value, 2) as value,
    playbook.target_text as target,
    today.status,
    round(today.value - month_before.value, 2) as change_vs_month_before,
    round(today.value - baseline.value, 2) as change_vs_baseline,
from reporting.scorecard as today
inner join playbook_success_metrics as playbook using (metric)
inner join reporting.month_bounds($as_of) as bounds on today.as_of = bounds.month_end
left join reporting.scorecard as month_before
    on month_before.metric = today.metric
    and month_before.as_of = bounds.before_end
left join reporting.baseline as baseline on baseline.metric = today.metric
order by playbook.position
