-- Grain: one row per month, the latest 6 of voice.nps_monthly for the whole base.
select
    month,
    is_complete,
    responses,
    promoter_pct,
    detractor_pct,
    nps,
    nps_ci_low,
    nps_ci_high,
from voice.nps_monthly
where breakdown = 'all'
order by month desc
limit 6
