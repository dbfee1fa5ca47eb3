-- Grain: one row: the day $as_of in support_daily (tickets opened and resolved, first response
-- within the target, resolution time, spike against the trailing days before it) and the backlog
-- open at its end (reporting timezone); a note, and no figures, when support_daily lacks the day.
with
day as (
    select
        $as_of::date as summary_date,
),

backlog as (
    select
        count(*) as open_at_end,
    from support.ticket_facts
    where support.open_at(created_at, resolved_at, support.day_end($as_of, $reporting_timezone))
)

select
    day.summary_date,
    support_daily.tickets_created as opened,
    support_daily.tickets_resolved as resolved,
    backlog.open_at_end,
    support_daily.first_response_within_target_pct,
    support_daily.first_response_median_hours,
    support_daily.resolution_median_hours,
    support_daily.csat_pct,
    round(support_daily.baseline_mean, 1) as baseline_mean,
    support_daily.is_spike,
    if(support_daily.summary_date is null, 'no support data for this day', '') as note,
from day
cross join backlog
left join support.support_daily on day.summary_date = support_daily.summary_date
