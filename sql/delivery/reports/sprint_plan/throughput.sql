-- Grain: one row per ISO week of the six before the plan's week (the ISO week holding the as-of
-- day): the items done in it, the trailing throughput the sprint's capacity comes from.
select
    strftime(week_start, '%G-W%V') as week,
    week_start,
    items_done,
from delivery.trailing_throughput($as_of, $reporting_timezone)
order by week_start
