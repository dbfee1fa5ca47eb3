-- Grain: one row per activity of the cadence, in the playbook's order.
select
    role,
    activity,
    output,
from playbook_activities
where cadence = $cadence
order by position
