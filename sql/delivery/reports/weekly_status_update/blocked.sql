-- Grain: one row per work item open and blocked at the end of the as-of day, with what it waits
-- on and the days it has been open (since it was filed), the oldest first; none is one row
-- saying so.
with
blocked as (
    select
        work_items.work_item_id,
        work_items.title,
        work_items.item_type,
        work_items.team,
        work_items.priority,
        work_items.blocked_reason,
        open_items.age_days as days_open,
        open_items.days_in_progress,
    from delivery.open_items($as_of, $reporting_timezone) as open_items
    inner join raw.work_items as work_items on open_items.work_item_id = work_items.work_item_id
    where open_items.flow_state = 'blocked'
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
