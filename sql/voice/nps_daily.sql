-- Grain: one row per calendar day (reporting timezone) in the window; days without answers as 0.
-- The NPS answers of the day by group (metrics.md, scorecard nps): the counts the scorecard's
-- trailing-window NPS sums, so promoters, passives and detractors are told apart in one place.
with
calendar as (
    select
        day::date as response_date,
    from generate_series(
        ($window_start at time zone $reporting_timezone)::date,
        ($window_end at time zone $reporting_timezone)::date - 1,
        interval 1 day
    ) as days(day)
),

answers as (
    select
        -- cut the calendar day in the reporting timezone
        (responded_at at time zone $reporting_timezone)::date as response_date,
        voice.nps_group(score) as nps_group,
    from raw.nps_responses
    where responded_at >= $window_start
        and responded_at < $window_end
),

by_day as (
    select
        response_date,
        count(*) as responses,
        count(*) filter (where nps_group = 'promoter') as promoters,
        count(*) filter (where nps_group = 'passive') as passives,
        count(*) filter (where nps_group = 'detractor') as detractors,
    from answers
    group by response_date
)

select
    calendar.response_date,
    coalesce(by_day.responses, 0) as responses,
    coalesce(by_day.promoters, 0) as promoters,
    coalesce(by_day.passives, 0) as passives,
    coalesce(by_day.detractors, 0) as detractors,
from calendar
left join by_day on calendar.response_date = by_day.response_date
order by calendar.response_date
