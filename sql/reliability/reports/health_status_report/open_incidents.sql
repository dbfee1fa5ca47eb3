-- Grain: one row per incident open at the end of $as_of (reporting timezone), the most severe and
-- the oldest first: its age then and its response-target status then (metrics.md, Reliability).
with
day_end as (
    select
        ($as_of::date + 1)::timestamp at time zone $reporting_timezone as ends_at,
)

select
    incidents.incident_id,
    incidents.severity,
    incidents.service_id,
    round(date_diff('second', incidents.detected_at, day_end.ends_at) / 3600.0, 1) as age_hours,
    case
        when incidents.acknowledged_at < day_end.ends_at and incidents.acknowledged_within_target
            then 'acknowledged within target'
        when incidents.acknowledged_at < day_end.ends_at then 'acknowledged late'
        when day_end.ends_at - incidents.detected_at
            <= to_minutes(incidents.response_target_minutes::bigint)
            then 'awaiting acknowledgement, within target'
        else 'unacknowledged past target'
    end as target_status,
from reliability.incidents
cross join day_end
where incidents.detected_at < day_end.ends_at
    and (incidents.resolved_at is null or incidents.resolved_at >= day_end.ends_at)
order by incidents.severity, age_hours desc
