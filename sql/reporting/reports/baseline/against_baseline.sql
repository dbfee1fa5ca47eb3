-- Grain: one row per success metric a report compares with the baseline (its declaration's
-- `baseline:`, bound as $baseline_metrics), in the playbook's order: its value and status on the
-- as-of day against the baseline's (reporting.baseline, on its day), and the change in the
-- metric's unit (percentage points for a percent); a change is empty when either has no value.
select
    playbook.name as metric,
    playbook.unit,
    round(today.value, 2) as value,
    coalesce(today.status, 'no data') as status,
    round(baseline.value, 2) as baseline,
    baseline.status as baseline_status,
    round(today.value - baseline.value, 2) as change_vs_baseline,
    baseline.baseline_date,
    playbook.target_text as target,
from playbook_success_metrics as playbook
left join reporting.scorecard as today
    on today.metric = playbook.metric
    and today.as_of = $as_of
left join reporting.baseline as baseline
    on baseline.metric = playbook.metric
where list_contains($baseline_metrics, playbook.metric)
order by playbook.position
