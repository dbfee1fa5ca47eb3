-- Grain: one row per calendar month (reporting timezone; its first day) and severity, plus `all`.
-- Implements incident counts, MTTA, MTTR (mean, with the median and still-open count beside it),
-- response-target compliance and P0/P1 post-mortem completion (metrics.md, Reliability).
with
incidents as (
    select
        incident_id,
        severity,
        detected_date,
        resolved_date,
        acknowledged_at,
        resolved_at,
        minutes_to_acknowledge,
        minutes_to_resolve,
        acknowledged_within_target,
        postmortem_completed_at,
        postmortem_due_date,
    from reliability.incidents
),

tagged as (
    select *, severity as severity_group from incidents
    union all by name
    select *, 'all' as severity_group from incidents
),

-- counts, MTTA and compliance by the month the incident was detected
by_detection as (
    select
        date_trunc('month', detected_date)::date as month,
        severity_group as severity,
        count(*) as incidents_detected,
        count(*) filter (where resolved_at is null) as still_open,
        avg(minutes_to_acknowledge) as mtta_minutes,
        count(*) filter (where acknowledged_within_target) as acknowledged_within_target,
        count(acknowledged_within_target) as response_target_decided,
    from tagged
    group by all
),

-- MTTR by the month the incident was resolved, as in the scorecard
by_resolution as (
    select
        date_trunc('month', resolved_date)::date as month,
        severity_group as severity,
        count(*) as incidents_resolved,
        avg(minutes_to_resolve) as mttr_minutes,
        median(minutes_to_resolve) as mttr_median_minutes,
    from tagged
    where resolved_date is not null
    group by all
),

-- post-mortems of P0/P1 incidents by the month they fell due; not yet due are left out
postmortems as (
    select
        date_trunc('month', postmortem_due_date)::date as month,
        severity_group as severity,
        count(*) as postmortems_due,
        count(*) filter (
            where (postmortem_completed_at at time zone $reporting_timezone)::date
                <= postmortem_due_date
        ) as postmortems_on_time,
    from tagged
    where postmortem_due_date is not null
        -- due dates are calendar days in the reporting timezone
        and postmortem_due_date < (get_current_timestamp() at time zone $reporting_timezone)::date
    group by all
),

months as (
    select month, severity from by_detection
    union
    select month, severity from by_resolution
    union
    select month, severity from postmortems
)

select
    months.month,
    months.severity,
    coalesce(by_detection.incidents_detected, 0) as incidents_detected,
    coalesce(by_detection.still_open, 0) as still_open,
    by_detection.mtta_minutes,
    coalesce(by_resolution.incidents_resolved, 0) as incidents_resolved,
    by_resolution.mttr_minutes,
    by_resolution.mttr_median_minutes,
    coalesce(by_detection.acknowledged_within_target, 0) as acknowledged_within_target,
    100.0 * by_detection.acknowledged_within_target
        / nullif(by_detection.response_target_decided, 0) as response_compliance_pct,
    coalesce(postmortems.postmortems_due, 0) as postmortems_due,
    coalesce(postmortems.postmortems_on_time, 0) as postmortems_on_time,
    100.0 * postmortems.postmortems_on_time
        / nullif(postmortems.postmortems_due, 0) as postmortem_completion_pct,
from months
left join by_detection
    on months.month = by_detection.month and months.severity = by_detection.severity
left join by_resolution
    on months.month = by_resolution.month and months.severity = by_resolution.severity
left join postmortems
    on months.month = postmortems.month and months.severity = postmortems.severity
order by months.month, months.severity
