-- Grain: one row per as-of day in [$first_day, $last_day]. NPS (metrics.md, scorecard nps): %
-- promoters (9-10) - % detractors (0-6) over the answers of the trailing window ending on the day,
-- passives only in the denominator; no value under the minimum sample (voice.nps_daily's groups).
with
scored_days as (
    select day::date as as_of,
    from generate_series($first_day::date, $last_day::date, interval 1 day) as days(day)
),

answer_days as (
    select
        response_date,
        responses,
        promoters,
        detractors,
    from voice.nps_daily
    -- the first day's trailing window starts this far back
    where response_date > $first_day::date - $voice_nps_window_days::int
        and response_date <= $last_day::date
),

trailing_sums as (
    select
        scored_days.as_of,
        coalesce(sum(answer_days.responses), 0) as responses,
        coalesce(sum(answer_days.promoters), 0) as promoters,
        coalesce(sum(answer_days.detractors), 0) as detractors,
    from scored_days
    left join answer_days
        on answer_days.response_date > scored_days.as_of - $voice_nps_window_days::int
        and answer_days.response_date <= scored_days.as_of
    group by scored_days.as_of
)

select
    as_of,
    case
        when responses >= $voice_nps_min_responses
            then 100.0 * (promoters - detractors) / responses
    end as value,
from trailing_sums
