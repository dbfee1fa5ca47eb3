-- Grain: one row per segment and product in the latest complete month of voice.nps_monthly.
select
    breakdown,
    breakdown_value,
    responses,
    nps,
    nps_ci_low,
    nps_ci_high,
from voice.nps_monthly
where breakdown <> 'all'
    and month = (select max(month) from voice.nps_monthly where is_complete)
order by breakdown, breakdown_value
