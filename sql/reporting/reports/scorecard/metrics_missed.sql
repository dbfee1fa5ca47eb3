-- Grain: one number, the success metrics of the day's scorecard that miss their target
-- ("no data" is neither met nor missed).
select count(*) filter (where status = 'missed') as missed,
from reporting.scorecard
where as_of = $as_of
