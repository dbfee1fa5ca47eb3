-- Grain: one row per work item open at the end of the as-of day that waits for a decision
-- (decision_needed), the highest priority and then the oldest first; none is one row saying so.
with
work_items as (
    select work_item_id, title, team, priority, decision_needed, from raw.work_items
),

decisions as (
    select
        *,
        age_days as days_open,
    from delivery.open_work_items($as_of, $reporting_timezone, work_items)
    where decision_needed is not null
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
