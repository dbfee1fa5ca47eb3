-- Grain: one row per success metric of the day's scorecard, in the playbook's order, with the
-- change against the same metric 7 days before (NULL when either day has no value).
select
    scorecard.metric,
    round(scorecard.value, 2) as value,
    scorecard.unit,
    scorecard.comparator,
    scorecard.target,
    scorecard.status,
    scorecard.owner,
    round(scorecard.value - week_before.value, 2) as change_vs_7_days_before,
from reporting.scorecard as scorecard
inner join playbook_success_metrics as playbook using (metric)
left join reporting.scorecard as week_before
    on week_before.metric = scorecard.metric
    and week_before.as_of = scorecard.as_of - 7
where scorecard.as_of = $as_of
order by playbook.position
