-- Grain: one row per success metric of the day's scorecard, in the playbook's order.
select
    scorecard.metric,
    round(scorecard.value, 2) as value,
    scorecard.unit,
    scorecard.comparator,
    scorecard.target,
    scorecard.status,
    scorecard.owner,
from reporting.scorecard as scorecard
inner join playbook_success_metrics as playbook using (metric)
where scorecard.as_of = $as_of
order by playbook.position
