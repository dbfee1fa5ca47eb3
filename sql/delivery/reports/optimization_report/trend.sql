-- Grain: one row per calendar quarter complete on the as-of day, the latest eight: all work
-- items' throughput, work in progress at the quarter's end, median and p85 cycle time in days
-- and the QoQ improvement (cycle_time_quarterly's 'all' row).
select
    quarter,
    throughput,
    wip_at_quarter_end,
    round(cycle_time_median_days, 2) as cycle_time_median_days,
    round(cycle_time_p85_days, 2) as cycle_time_p85_days,
    round(improvement_pct, 1) as improvement_pct,
from delivery.cycle_time_quarterly
where item_type = 'all'
    and team = 'all'
    and quarter <= (date_trunc('quarter', $as_of::date + 1) - interval 3 month)::date
    and quarter >= (date_trunc('quarter', $as_of::date + 1) - interval 24 month)::date
order by quarter
