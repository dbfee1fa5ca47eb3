-- Grain: one number, the success metrics owned by a role of the cadence whose latest scorecard
-- on or before the day says "missed" (the other roles' metrics are not counted).
select count(*) filter (where scorecard.status = 'missed') as missed,
from reporting.scorecard as scorecard
inner join playbook_success_metrics as playbook using (metric)
where scorecard.as_of = (select max(as_of) from reporting.scorecard where as_of <= $as_of)
    and playbook.owner in (select role from playbook_activities where cadence = $cadence)
