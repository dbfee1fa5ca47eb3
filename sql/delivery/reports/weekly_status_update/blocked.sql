-- Grain: one row per work item open and blocked at the end of the as-of day, with what it waits
-- on and the days it has been open (since it was filed), the oldest first; none is one row
-- saying so.
with
work_items as (
    select work_item_id, title, item_type, team, priority, blocked_reason, from raw.work_items
),

blocked as (
    select
        *,
        age_days as days_open,
    from delivery.open_work_items($as_of, $reporting_timezone, work_items)
    where flow_state = 'blocked'
)

select
    work_item_id,
    title,
    item_type,
    team,
    priority,
    blocked_reason,
    days_open,
    days_in_progress,
from blocked
union all
select
    null,
    'no work item blocked',
    null,
    null,
    null,
    null,
    null,
    null,
where not exists (select 1 from blocked)
order by days_open desc, work_item_id
