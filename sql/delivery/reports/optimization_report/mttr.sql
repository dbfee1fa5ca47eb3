-- Grain: one row per calendar quarter (reporting timezone) complete on the as-of day, the latest
-- eight: MTTR = mean minutes from detection to resolution of the incidents resolved in the
-- quarter (reliability.incidents, every severity), the median beside it, and the QoQ change of
-- the mean in percent (negative = faster recovery), against the quarter just before. A quarter without a resolved incident shows
-- no row.
with
bounds as (
    select
        (date_trunc('quarter', $as_of::date + 1) - interval 24 month)::date as first_quarter,
        date_trunc('quarter', $as_of::date + 1)::date as quarters_end,
),

per_quarter as (
    select
        date_trunc('quarter', incidents.resolved_date)::date as quarter,
        count(*) as incidents_resolved,
        avg(incidents.minutes_to_resolve) as mttr_minutes,
        median(incidents.minutes_to_resolve) as mttr_median_minutes,
    from reliability.incidents as incidents
    cross join bounds
    where incidents.resolved_date >= bounds.first_quarter
        and incidents.resolved_date < bounds.quarters_end
    group by all
)

select
    quarter,
    incidents_resolved,
    round(mttr_minutes, 1) as mttr_minutes,
    round(mttr_median_minutes, 1) as mttr_median_minutes,
    -- against the calendar quarter just before only (none when it resolved no incident)
    case
        when lag(quarter) over (order by quarter) = quarter - interval 3 month
            then round(
                100.0 * (mttr_minutes - lag(mttr_minutes) over (order by quarter))
                / nullif(lag(mttr_minutes) over (order by quarter), 0),
                1
            )
    end as mttr_change_pct,
from per_quarter
order by quarter
