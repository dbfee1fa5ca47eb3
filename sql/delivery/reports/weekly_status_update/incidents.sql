-- Grain: one row per severity (P0-P3) with an incident detected in the ISO week holding the
-- as-of day or open at its end (reliability.incidents): detected and resolved in the week,
-- detected the week before, and open at the end of the as-of day; none is one row saying so.
with
weeks as (
    select
        date_trunc('week', $as_of::date)::date as week_start,
        date_trunc('week', $as_of::date)::date - 7 as previous_week_start,
),

incidents as (
    select
        incidents.severity,
        incidents.detected_date between weeks.week_start and $as_of::date as detected_in_week,
        incidents.detected_date between weeks.previous_week_start and weeks.week_start - 1
            as detected_previous_week,
        coalesce(incidents.resolved_date between weeks.week_start and $as_of::date, false)
            as resolved_in_week,
        delivery.open_on(incidents.detected_date, incidents.resolved_date, $as_of) as open_at_end,
    from reliability.incidents as incidents
    cross join weeks
),

by_severity as (
    select
        severity,
        count(*) filter (where detected_in_week) as detected,
        count(*) filter (where resolved_in_week) as resolved,
        count(*) filter (where open_at_end) as still_open,
        count(*) filter (where detected_previous_week) as detected_previous_week,
    from incidents
    group by severity
    having count(*) filter (where detected_in_week or resolved_in_week or open_at_end) > 0
)

select
    severity,
    detected,
    resolved,
    still_open,
    detected_previous_week,
from by_severity
union all
select
    'no incident detected, resolved or open in the week',
    0,
    0,
    0,
    null,
where not exists (select 1 from by_severity)
order by severity
