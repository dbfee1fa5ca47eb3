-- Grain: one row per work item open at the end of the as-of day that waits for a decision
-- (decision_needed), the highest priority and then the oldest first; none is one row saying so.
with
decisions as (
    select
        work_items.work_item_id,
        work_items.title,
        work_items.team,
        work_items.priority,
        work_items.decision_needed,
        open_items.age_days as days_open,
    from delivery.open_items($as_of, $reporting_timezone) as open_items
    inner join raw.work_items as work_items on open_items.work_item_id = work_items.work_item_id
    where work_items.decision_needed is not null
)

select
    work_item_id,
    title,
    team,
    priority,
    decision_needed,
    days_open,
from decisions
union all
select
    null,
    'no decision needed',
    null,
    null,
    null,
    null,
where not exists (select 1 from decisions)
order by coalesce(priority, 'P9'), days_open desc, work_item_id
