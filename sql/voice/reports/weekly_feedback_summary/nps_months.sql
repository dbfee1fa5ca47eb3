-- Grain: one row per calendar month with answers, of the 6 up to the one holding $as_of, for the
-- whole base: counted from voice.nps_daily up to $as_of (the month holding it so far, complete
-- once $as_of is its last day), the NPS and its interval as voice.nps_monthly defines them.
with
months as (
    select
        date_trunc('month', response_date)::date as month,
        sum(responses)::bigint as responses,
        sum(promoters)::bigint as promoters,
        sum(detractors)::bigint as detractors,
    from voice.nps_daily
    where response_date between (date_trunc('month', $as_of) - interval 5 month)::date and $as_of
    group by all
    having sum(responses) > 0
),

scored as (
    select
        *,
        voice.nps(promoters, detractors, responses, $voice_nps_min_responses) as nps,
        voice.nps_margin(
            promoters, detractors, responses, $voice_nps_min_responses, $voice_nps_ci_z
        ) as nps_margin,
    from months
)

select
    month,
    last_day(month) <= $as_of as is_complete,
    responses,
    100.0 * promoters / responses as promoter_pct,
    100.0 * detractors / responses as detractor_pct,
    nps,
    voice.nps_ci_low(nps, nps_margin) as nps_ci_low,
    voice.nps_ci_high(nps, nps_margin) as nps_ci_high,
from scored
order by month desc
