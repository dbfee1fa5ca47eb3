-- Grain: one row per tech-debt work item open at the end of the as-of day, the ten oldest (by the
-- day filed, then id), with the tracker's title, team and priority.
select
    work_item_id,
    title,
    team,
    priority,
    created_date,
    age_days,
    case when in_progress then 'in progress' else 'not started' end as state,
from delivery.open_tech_debt($as_of::date, $reporting_timezone)
order by age_days desc, work_item_id
limit 10
