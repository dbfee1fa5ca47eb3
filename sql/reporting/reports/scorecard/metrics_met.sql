-- Grain: one number, the success metrics of the day's scorecard that meet their target.
select count(*) filter (where status = 'met') as met,
from reporting.scorecard
where as_of = $as_of
