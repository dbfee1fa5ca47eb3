-- Grain: one row per reliability measure of the month against the month before: uptime of the
-- customer-facing services (probe-weighted, planned maintenance excluded: the `overall` rows of
-- reliability.uptime_daily), MTTR over the incidents resolved in the month, P0/P1 incidents
-- detected in the month, and P0/P1 incidents still open at the month's end.
with
uptime as (
    select
        months.is_this_month,
        100.0 * sum(uptime_daily.ok_probes) / nullif(sum(uptime_daily.probes), 0) as uptime_pct,
    from reporting.months_compared($as_of) as months
    left join reliability.uptime_daily
        on uptime_daily.service_id = 'overall'
        and uptime_daily.uptime_date between months.first_day and months.last_day
    group by months.is_this_month
),

incident_counts as (
    select
        months.is_this_month,
        avg(incidents.minutes_to_resolve) filter (
            where incidents.resolved_date between months.first_day and months.last_day
        ) as mttr_minutes,
        count(incidents.incident_id) filter (
            where incidents.severity in ('P0', 'P1')
            and incidents.detected_date between months.first_day and months.last_day
        ) as major_detected,
        count(incidents.incident_id) filter (
            where incidents.severity in ('P0', 'P1')
            and incidents.detected_date <= months.last_day
            and coalesce(incidents.resolved_date > months.last_day, true)
        ) as major_open,
    from reporting.months_compared($as_of) as months
    left join reliability.incidents on incidents.detected_date <= months.last_day
    group by months.is_this_month
),

figures as (
    select
        is_this_month,
        uptime.uptime_pct,
        incident_counts.mttr_minutes,
        incident_counts.major_detected,
        incident_counts.major_open,
    from uptime
    inner join incident_counts using (is_this_month)
),

measures as (
    select 1 as position, 'Uptime % (customer-facing)' as measure, is_this_month,
        uptime_pct as value, from figures
    union all select 2, 'MTTR (minutes, incidents resolved)', is_this_month, mttr_minutes,
    from figures
    union all select 3, 'P0/P1 incidents detected', is_this_month, major_detected, from figures
    union all select 4, 'P0/P1 incidents open at month end', is_this_month, major_open,
    from figures
)

select measure, this_month, month_before, change,
from reporting.against_month_before(measures)
