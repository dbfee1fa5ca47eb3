-- Grain: one row per spike day up to $as_of, the latest 10 (each against the trailing days
-- before it).
select
    summary_date,
    tickets_created,
    round(baseline_mean, 1) as baseline_mean,
    outage_tickets,
from support.support_daily
where is_spike
    and summary_date <= $as_of::date
order by summary_date desc
limit 10
