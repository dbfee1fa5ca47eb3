-- Grain: one row per work item open at the end of the as-of day, ranked: priority (P0 first, none
-- after P3), then items following up an incident open that day, then items answering feedback,
-- then the oldest first; in_sprint marks the top floor(trailing throughput mean) items. An empty
-- backlog is one row saying so.
with
incidents as (
    -- open on the as-of day (reliability.incidents: the export and the live feed)
    select
        incident_id,
        severity,
        delivery.open_on(detected_date, resolved_date, $as_of) as is_open,
    from reliability.incidents
),

work_items as (
    select work_item_id, title, item_type, team, priority, linked_incident_id, linked_feedback_id,
        blocked_reason,
    from raw.work_items
),

items as (
    select
        open_items.work_item_id,
        open_items.title,
        open_items.item_type,
        open_items.team,
        open_items.priority,
        open_items.age_days,
        open_items.linked_incident_id,
        incidents.severity as incident_severity,
        coalesce(incidents.is_open, false) as incident_open,
        open_items.linked_feedback_id,
        feedback.theme as feedback_theme,
        open_items.blocked_reason,
    from delivery.open_work_items($as_of, $reporting_timezone, work_items) as open_items
    left join incidents on open_items.linked_incident_id = incidents.incident_id
    left join raw.feedback_items as feedback
        on open_items.linked_feedback_id = feedback.feedback_id
),

ranked as (
    select
        *,
        row_number() over (
            order by
                coalesce(priority, 'P9'),
                case
                    when incident_open then 1
                    when linked_feedback_id is not null then 2
                    else 3
                end,
                age_days desc,
                work_item_id
        ) as backlog_rank,
    from items
),

capacity as (
    select floor(avg(items_done))::integer as sprint_size,
    from delivery.trailing_throughput($as_of, $reporting_timezone)
)

select
    ranked.backlog_rank,
    ranked.backlog_rank <= capacity.sprint_size as in_sprint,
    ranked.work_item_id,
    ranked.title,
    ranked.item_type,
    ranked.team,
    ranked.priority,
    ranked.age_days,
    ranked.linked_incident_id,
    ranked.incident_severity,
    ranked.incident_open,
    ranked.linked_feedback_id,
    ranked.feedback_theme,
    ranked.blocked_reason,
from ranked
cross join capacity
union all
select
    null,
    null,
    null,
    'the backlog is empty: no work item open on ' || strftime($as_of::date, '%Y-%m-%d'),
    null,
    null,
    null,
    null,
    null,
    null,
    null,
    null,
    null,
    null,
where not exists (select 1 from ranked)
order by backlog_rank
