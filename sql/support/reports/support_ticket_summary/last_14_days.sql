-- Grain: one row per day, the 14 of support_daily ending with $as_of.
select
    summary_date,
    tickets_created,
    outage_tickets,
    first_response_within_target_pct,
    first_response_median_hours,
    tickets_resolved,
    resolution_median_hours,
    satisfaction_mean,
    csat_pct,
    is_spike,
from support.support_daily
where summary_date between $as_of::date - 13 and $as_of::date
order by summary_date desc
