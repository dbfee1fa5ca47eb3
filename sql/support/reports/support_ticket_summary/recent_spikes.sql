-- Grain: one row per spike day, the latest 10.
select
    summary_date,
    tickets_created,
    round(baseline_mean, 1) as baseline_mean,
    outage_tickets,
from support.support_daily
where is_spike
order by summary_date desc
limit 10
