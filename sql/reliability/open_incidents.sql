-- Grain: one row per incident still open when the table is built.
-- Age and response-target status (metrics.md, Reliability: response targets per severity).
with
incidents as (
    select
        incident_id,
        severity,
        service_id,
        title,
        source,
        detected_at,
        acknowledged_at,
        response_target_minutes,
        acknowledged_within_target,
    from reliability.incidents
    where resolved_at is null
)

select
    incident_id,
    severity,
    service_id,
    title,
    source,
    detected_at,
    acknowledged_at,
    date_diff('second', detected_at, get_current_timestamp()) / 60.0 as age_minutes,
    response_target_minutes,
    case
        when acknowledged_within_target then 'acknowledged within target'
        when acknowledged_at is not null then 'acknowledged late'
        when acknowledged_within_target is null then 'awaiting acknowledgement, within target'
        else 'unacknowledged past target'
    end as target_status,
from incidents
order by severity, detected_at
