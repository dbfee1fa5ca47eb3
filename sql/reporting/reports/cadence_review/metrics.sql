-- Grain: one row per success metric owned by a role of the cadence, from the latest scorecard
-- on or before the day (a weekly review may run before that day's scorecard).
select
    playbook.name as metric,
    scorecard.status,
    round(scorecard.value, 2) as value,
    playbook.target_text as target,
    playbook.owner,
    scorecard.as_of as scored_on,
from reporting.scorecard as scorecard
inner join playbook_success_metrics as playbook using (metric)
where scorecard.as_of = (select max(as_of) from reporting.scorecard where as_of <= $as_of)
    and playbook.owner in (select role from playbook_activities where cadence = $cadence)
order by playbook.position
