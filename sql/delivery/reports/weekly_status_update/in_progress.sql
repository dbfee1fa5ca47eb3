-- Grain: one row per work item in progress at the end of the as-of day (started, not done, not
-- blocked), the longest in progress first; none is one row saying so.
with
in_progress as (
    select
        work_items.work_item_id,
        work_items.title,
        work_items.item_type,
        work_items.team,
        work_items.priority,
        open_items.days_in_progress,
    from delivery.open_items($as_of, $reporting_timezone) as open_items
    inner join raw.work_items as work_items on open_items.work_item_id = work_items.work_item_id
    where open_items.flow_state = 'in_progress'
)

select
    work_item_id,
    title,
    item_type,
    team,
    priority,
    days_in_progress,
from in_progress
union all
select
    null,
    'no work item in progress',
    null,
    null,
    null,
    null,
where not exists (select 1 from in_progress)
order by days_in_progress desc, work_item_id
