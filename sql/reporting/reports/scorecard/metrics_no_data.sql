-- Grain: one number, the success metrics of the day's scorecard without a value (neither met nor
-- missed: their checks are not evaluated).
select count(*) filter (where status = 'no data') as no_data,
from reporting.scorecard
where as_of = $as_of
