-- Grain: one row per incident, from the incident export (raw.incidents) and the live incident
-- feed (reliability.incident_feed_events), the export's fields first. Implements severity
-- response targets, MTTA/MTTR inputs and the post-mortem due date (metrics.md, Reliability).
with
exported as (
    select
        incident_id,
        severity,
        service_id,
        title,
        detected_at,
        acknowledged_at,
        resolved_at,
        caused_by_deployment_id,
        postmortem_completed_at,
    from raw.incidents
),

feed_events as (
    select
        incident_id,
        event_type,
        occurred_at,
        severity,
        service_id,
        title,
    from reliability.incident_feed_events
),

-- the feed's events folded into one incident each: the latest severity wins
fed as (
    select
        incident_id,
        arg_max(severity, occurred_at) filter (where severity is not null) as severity,
        arg_max(service_id, occurred_at) filter (where service_id is not null) as service_id,
        arg_max(title, occurred_at) filter (where title is not null) as title,
        min(occurred_at) filter (where event_type = 'opened') as detected_at,
        min(occurred_at) filter (where event_type = 'acknowledged') as acknowledged_at,
        max(occurred_at) filter (where event_type = 'resolved') as resolved_at,
    from feed_events
    group by incident_id
),

combined as (
    select
        coalesce(exported.incident_id, fed.incident_id) as incident_id,
        case
            when exported.incident_id is null then 'feed'
            when fed.incident_id is null then 'export'
            else 'export+feed'
        end as source,
        coalesce(exported.severity, fed.severity) as severity,
        coalesce(exported.service_id, fed.service_id) as service_id,
        coalesce(exported.title, fed.title) as title,
        coalesce(exported.detected_at, fed.detected_at) as detected_at,
        coalesce(exported.acknowledged_at, fed.acknowledged_at) as acknowledged_at,
        coalesce(exported.resolved_at, fed.resolved_at) as resolved_at,
        exported.caused_by_deployment_id,
        exported.postmortem_completed_at,
    from exported
    full outer join fed on exported.incident_id = fed.incident_id
),

timed as (
    select
        *,
        -- cut calendar days in the reporting timezone
        (detected_at at time zone $reporting_timezone)::date as detected_date,
        (resolved_at at time zone $reporting_timezone)::date as resolved_date,
        date_diff('second', detected_at, acknowledged_at) / 60.0 as minutes_to_acknowledge,
        date_diff('second', detected_at, resolved_at) / 60.0 as minutes_to_resolve,
        case severity
            when 'P0' then $reliability_response_minutes_p0
            when 'P1' then $reliability_response_minutes_p1
            when 'P2' then $reliability_response_minutes_p2
            -- P3: by the end of the next sprint, at most two sprints after detection
            else 2 * $reliability_sprint_days * 1440
        end as response_target_minutes,
    from combined
    where detected_at is not null
),

-- P0/P1 post-mortems are due N business days (Mon-Fri) after the resolution day; a weekend
-- resolution counts from the Friday before it
postmortem_dates as (
    select
        incident_id,
        resolved_date - greatest(isodow(resolved_date) - 5, 0)::int as business_base,
        least(isodow(resolved_date), 5) - 1 as base_weekday,
    from timed
    where severity in ('P0', 'P1')
        and resolved_date is not null
)

select
    timed.incident_id,
    timed.source,
    timed.severity,
    timed.service_id,
    timed.title,
    timed.detected_at,
    timed.acknowledged_at,
    timed.resolved_at,
    timed.caused_by_deployment_id,
    timed.postmortem_completed_at,
    timed.detected_date,
    timed.resolved_date,
    timed.minutes_to_acknowledge,
    timed.minutes_to_resolve,
    timed.response_target_minutes,
    case
        when timed.acknowledged_at is not null
            then timed.minutes_to_acknowledge <= timed.response_target_minutes
        when date_diff('second', timed.detected_at, get_current_timestamp()) / 60.0
            > timed.response_target_minutes
            then false
    end as acknowledged_within_target,
    postmortem_dates.business_base
        + $reliability_postmortem_business_days
        + 2 * ((postmortem_dates.base_weekday + $reliability_postmortem_business_days) // 5)::int
        as postmortem_due_date,
from timed
left join postmortem_dates on timed.incident_id = postmortem_dates.incident_id
order by timed.detected_at, timed.incident_id
