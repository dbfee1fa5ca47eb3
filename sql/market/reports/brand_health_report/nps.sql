-- Grain: one row per calendar month of the 6 ending with the month reported that has NPS answers
-- (voice.nps_monthly, whole base): answers, NPS with its 95 % interval, and the change in points
-- from the month before (NULL when either NPS is).
with
months as (
    select
        month,
        responses,
        nps,
        nps_ci_low,
        nps_ci_high,
        lag(nps) over (order by month) as previous_nps,
    from voice.nps_monthly
    where breakdown = 'all'
        and market.in_months(month, $as_of, 7)
)

select
    strftime(month, '%Y-%m') as month,
    responses,
    nps,
    nps_ci_low,
    nps_ci_high,
    nps - previous_nps as nps_change,
from months
where months.month >= market.month_start($as_of, 5)
order by months.month
