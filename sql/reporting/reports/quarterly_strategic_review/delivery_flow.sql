-- Grain: one row per breakdown of delivery.cycle_time_quarterly (all work, each kind of work,
-- each team) in the quarter holding the as-of day, beside the quarter before: items done
-- (throughput), their share of all items done (where the capacity went), the median cycle time
-- in days and the QoQ improvement (positive = faster). A running quarter's figures still move.
with
quarters as (
    select * from reporting.strategic_quarters($as_of)
),

flow as (
    select
        quarters.is_current,
        flow.item_type,
        flow.team,
        flow.throughput,
        flow.cycle_time_median_days,
        flow.improvement_pct,
        -- the quarter's items done of every kind, by every team
        max(flow.throughput) filter (where flow.item_type = 'all' and flow.team = 'all')
            over (partition by quarters.is_current) as all_done,
    from delivery.cycle_time_quarterly as flow
    inner join quarters on flow.quarter = quarters.first_day
),

per_breakdown as (
    select
        item_type,
        team,
        max(throughput) filter (where is_current) as throughput,
        max(throughput) filter (where not is_current) as previous_throughput,
        max(100.0 * throughput / nullif(all_done, 0)) filter (where is_current) as share_pct,
        max(100.0 * throughput / nullif(all_done, 0)) filter (where not is_current)
            as previous_share_pct,
        max(cycle_time_median_days) filter (where is_current) as cycle_time_median_days,
        max(cycle_time_median_days) filter (where not is_current) as previous_median_days,
        max(improvement_pct) filter (where is_current) as improvement_pct,
    from flow
    group by item_type, team
)

select
    item_type,
    team,
    throughput,
    previous_throughput,
    round(share_pct, 1) as share_of_done_pct,
    round(previous_share_pct, 1) as previous_share_of_done_pct,
    round(cycle_time_median_days, 2) as cycle_time_median_days,
    round(previous_median_days, 2) as previous_median_days,
    round(improvement_pct, 1) as improvement_pct,
from per_breakdown
order by
    item_type = 'all' and team = 'all' desc,
    team = 'all' desc,
    item_type,
    team
