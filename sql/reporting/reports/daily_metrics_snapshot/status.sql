-- Grain: one row per scorecard status (met, missed, no data): how many success metrics have it
-- on the day, the day before, the same weekday a week before and the baseline day.
with
statuses as (
    select
        status,
        position,
    from (values ('met', 1), ('missed', 2), ('no data', 3)) as listed(status, position)
),

counted as (
    select
        status,
        count(*) filter (where as_of = $as_of) as on_the_day,
        count(*) filter (where as_of = $as_of - 1) as day_before,
        count(*) filter (where as_of = $as_of - 7) as same_weekday_last_week,
    from reporting.scorecard
    where as_of between $as_of - 7 and $as_of
    group by status
),

at_baseline as (
    select
        status,
        count(*) as baseline,
    from reporting.baseline
    group by status
)

select
    statuses.status,
    coalesce(counted.on_the_day, 0) as metrics,
    coalesce(counted.day_before, 0) as day_before,
    coalesce(counted.same_weekday_last_week, 0) as same_weekday_last_week,
    coalesce(at_baseline.baseline, 0) as baseline,
from statuses
left join counted using (status)
left join at_baseline using (status)
order by statuses.position
