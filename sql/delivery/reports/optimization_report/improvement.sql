-- Grain: one row: the process improvement % (scorecard process_improvement_pct) of the last
-- calendar quarter complete on the as-of day, (previous median - this median) / previous median
-- x 100 over all work items; NULL (no data) without both medians.
select
    round(improvement_pct, 1) as improvement_pct,
from delivery.cycle_time_quarterly
where quarter = (date_trunc('quarter', $as_of::date + 1) - interval 3 month)::date
    and item_type = 'all'
    and team = 'all'
