-- Grain: one row per success metric of the day's scorecard, in the playbook's order: its value
-- and its change (value - the other's, in the metric's unit) against the day before, the same
-- weekday a week before and the baseline; a change is empty when either side has no value.
select
    playbook.name as metric,
    today.unit,
    round(today.value, 2) as value,
    round(day_before.value, 2) as day_before,
    round(today.value - day_before.value, 2) as change_vs_day_before,
    round(week_before.value, 2) as same_weekday_last_week,
    round(today.value - week_before.value, 2) as change_vs_last_week,
    round(baseline.value, 2) as baseline,
    round(today.value - baseline.value, 2) as change_vs_baseline,
    playbook.target_text as target,
    today.status,
from reporting.scorecard as today
inner join playbook_success_metrics as playbook using (metric)
left join reporting.scorecard as day_before
    on day_before.metric = today.metric
    and day_before.as_of = today.as_of - 1
left join reporting.scorecard as week_before
    on week_before.metric = today.metric
    and week_before.as_of = today.as_of - 7
left join reporting.baseline as baseline
    on baseline.metric = today.metric
where today.as_of = $as_of
order by playbook.position
