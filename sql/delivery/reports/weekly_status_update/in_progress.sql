-- Grain: one row per work item in progress at the end of the as-of day (started, not done, not
-- blocked), the longest in progress first; none is one row saying so.
with
work_items as (
    select work_item_id, title, item_type, team, priority, from raw.work_items
),

in_progress as (
    select *,
    from delivery.open_work_items($as_of, $reporting_timezone, work_items)
    where flow_state = 'in_progress'
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
