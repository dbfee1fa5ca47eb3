-- Grain: one row per breakdown of cycle_time_quarterly ('all', each item type, each team) for
-- the last calendar quarter complete on the as-of day, beside the quarter before: throughput,
-- work in progress at each quarter's end, median and p85 cycle time in days, and the QoQ
-- improvement (positive = faster).
with
bounds as (
    select (date_trunc('quarter', $as_of::date + 1) - interval 3 month)::date as quarter_start
),

this_quarter as (
    select cycle_time_quarterly.*
    from delivery.cycle_time_quarterly as cycle_time_quarterly
    inner join bounds on cycle_time_quarterly.quarter = bounds.quarter_start
),

previous_quarter as (
    select cycle_time_quarterly.*
    from delivery.cycle_time_quarterly as cycle_time_quarterly
    inner join bounds
        on cycle_time_quarterly.quarter = bounds.quarter_start - interval 3 month
)

select
    strftime(this_quarter.quarter, '%Y') || '-Q' || quarter(this_quarter.quarter) as quarter,
    this_quarter.item_type,
    this_quarter.team,
    this_quarter.throughput,
    previous_quarter.throughput as previous_throughput,
    this_quarter.wip_at_quarter_end,
    previous_quarter.wip_at_quarter_end as previous_wip_at_quarter_end,
    round(this_quarter.cycle_time_median_days, 2) as cycle_time_median_days,
    round(this_quarter.previous_median_days, 2) as previous_median_days,
    round(this_quarter.cycle_time_p85_days, 2) as cycle_time_p85_days,
    round(previous_quarter.cycle_time_p85_days, 2) as previous_p85_days,
    round(this_quarter.improvement_pct, 1) as improvement_pct,
from this_quarter
left join previous_quarter
    on this_quarter.item_type = previous_quarter.item_type
    and this_quarter.team = previous_quarter.team
order by
    this_quarter.item_type = 'all' and this_quarter.team = 'all' desc,
    this_quarter.team = 'all' desc,
    this_quarter.item_type,
    this_quarter.team
