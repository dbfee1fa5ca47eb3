-- Grain: one row per quarter compared (the one holding the as-of day first): NPS answers
-- (voice.nps_daily) and NPS = % promoters (9-10) - % detractors (0-6) over the quarter's days,
-- NULL under $voice_nps_min_responses answers, with its change in points.
with
per_quarter as (
    select
        quarters.is_current,
        quarters.quarter,
        coalesce(sum(nps_daily.responses), 0) as responses,
        100.0 * sum(nps_daily.promoters) / nullif(sum(nps_daily.responses), 0) as promoter_pct,
        100.0 * sum(nps_daily.detractors) / nullif(sum(nps_daily.responses), 0) as detractor_pct,
    from reporting.strategic_quarters($as_of) as quarters
    left join voice.nps_daily as nps_daily
        on nps_daily.response_date between quarters.first_day and quarters.last_day
    group by all
),

scored as (
    select
        *,
        case
            when responses >= $voice_nps_min_responses then promoter_pct - detractor_pct
        end as nps,
    from per_quarter
)

select
    quarter,
    responses::bigint as responses,
    round(promoter_pct, 1) as promoter_pct,
    round(detractor_pct, 1) as detractor_pct,
    round(nps, 1) as nps,
    round(nps - lead(nps) over (order by is_current desc), 1) as nps_change_points,
from scored
order by is_current desc
