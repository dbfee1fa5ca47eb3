-- Grain: one row per calendar month (reporting timezone) and breakdown: the whole base
-- (`all`/`all`), each customer segment and each product (raw.users; `unknown` for answers of
-- users it does not know). Implements NPS (metrics.md, scorecard nps; Customer voice: per month
-- and segment): % promoters (9-10) - % detractors (0-6), passives only in the denominator, NULL
-- under the minimum sample, with its normal-approximation interval.
with
answers as (
    select
        -- cut the month in the reporting timezone
        date_trunc('month', (nps_responses.responded_at at time zone $reporting_timezone)::date)::date
            as month,
        voice.nps_group(nps_responses.score) as nps_group,
        coalesce(users.segment, 'unknown') as segment,
        coalesce(users.product_id, 'unknown') as product_id,
    from raw.nps_responses
    left join raw.users on users.user_id = nps_responses.user_id
),

-- one row per answer and breakdown it counts in: the whole base, its segment, its product
breakdowns as (
    select month, nps_group, 'all' as breakdown, 'all' as breakdown_value, from answers
    union all
    select month, nps_group, 'segment', segment, from answers
    union all
    select month, nps_group, 'product', product_id, from answers
),

counts as (
    select
        month,
        breakdown,
        breakdown_value,
        count(*) as responses,
        count(*) filter (where nps_group = 'promoter') as promoters,
        count(*) filter (where nps_group = 'passive') as passives,
        count(*) filter (where nps_group = 'detractor') as detractors,
    from breakdowns
    group by all
),

scored as (
    select
        *,
        voice.nps(promoters, detractors, responses, $voice_nps_min_responses) as nps,
        voice.nps_margin(
            promoters, detractors, responses, $voice_nps_min_responses, $voice_nps_ci_z
        ) as nps_margin,
    from counts
)

select
    month,
    breakdown,
    breakdown_value,
    -- a month is complete once its last day is before today (reporting timezone)
    (month + interval 1 month)::date
        <= (get_current_timestamp() at time zone $reporting_timezone)::date as is_complete,
    responses,
    promoters,
    passives,
    detractors,
    100.0 * promoters / responses as promoter_pct,
    100.0 * detractors / responses as detractor_pct,
    nps,
    nps_margin,
    voice.nps_ci_low(nps, nps_margin) as nps_ci_low,
    voice.nps_ci_high(nps, nps_margin) as nps_ci_high,
from scored
order by month, breakdown, breakdown_value
