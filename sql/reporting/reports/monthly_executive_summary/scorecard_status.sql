-- Grain: one cell, how many success metrics are met, missed and without data on the as-of day.
select
    count(*) filter (where status = 'met') || ' met, '
    || count(*) filter (where status = 'missed') || ' missed, '
    || count(*) filter (where status = 'no data') || ' no data' as metrics,
from reporting.scorecard
where as_of = $as_of
having count(*) > 0
