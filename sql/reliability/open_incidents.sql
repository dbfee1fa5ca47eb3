-- Grain: one row per incident still open when the table is built.
-- Age and response-target status (metrics.md, Reliability: response targets per severity).
-- One input, no steps: the columns are selected once, from reliability.incidents itself.
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
from reliability.incidents
where resolved_at is null
order by severity, detected_at
