-- Grain: one row per scorecard day of the 28 days to the day (inclusive): how many success
-- metrics are met and missed that day, for the picture of the scorecard's direction.
select
    as_of,
    count(*) filter (where status = 'met') as met,
    count(*) filter (where status = 'missed') as missed,
from reporting.scorecard
where as_of between $as_of - 27 and $as_of
group by as_of
order by as_of
