-- Grain: one row per calendar quarter (reporting timezone) and breakdown: every item type with
-- team 'all', every team with item type 'all', and 'all' x 'all'. Implements the process
-- improvement metric (metrics.md, scorecard): QoQ % = (previous median - this median) / previous
-- x 100 over the cycle times of items done in the quarter; throughput and WIP beside it.
with
items as (
    select
        item_type,
        team,
        flow_state,
        started_quarter,
        done_quarter,
        cycle_time_days,
    from delivery.work_item_flow
    -- quarantined items (done before they started) count nowhere
    where flow_state <> 'quarantined'
),

quarters as (
    select
        quarter::date as quarter,
        -- a quarter is complete once its last day is over (reporting timezone)
        quarter::date + interval 3 month
            <= (get_current_timestamp() at time zone $reporting_timezone)::date as is_complete,
    from generate_series(
        (select min(least(started_quarter, coalesce(done_quarter, started_quarter))) from items),
        (select max(greatest(started_quarter, coalesce(done_quarter, started_quarter))) from items),
        interval 3 month
    ) as series(quarter)
),

breakdowns as (
    select distinct
        item_type,
        'all' as team,
    from items
    union
    select distinct
        'all' as item_type,
        team,
    from items
    union
    select
        'all' as item_type,
        'all' as team,
),

cells as (
    select
        quarters.quarter,
        quarters.is_complete,
        breakdowns.item_type,
        breakdowns.team,
    from quarters
    cross join breakdowns
),

done as (
    select
        done_quarter as quarter,
        -- item_type and team are never NULL in raw.work_items: NULL here is a grouping set's 'all'
        coalesce(item_type, 'all') as item_type,
        coalesce(team, 'all') as team,
        count(*) as throughput,
        count(cycle_time_days) as items_timed,
        median(cycle_time_days) as cycle_time_median_days,
        quantile_cont(cycle_time_days, 0.85) as cycle_time_p85_days,
    from items
    where flow_state = 'done'
    group by grouping sets ((done_quarter, item_type), (done_quarter, team), (done_quarter))
),

started as (
    select
        started_quarter as quarter,
        coalesce(item_type, 'all') as item_type,
        coalesce(team, 'all') as team,
        count(*) as items_started,
    from items
    where started_quarter is not null
    group by grouping sets ((started_quarter, item_type), (started_quarter, team), (started_quarter))
),

in_progress_at_end as (
    -- started by the quarter's end and not done by then (done in a later quarter, or not yet)
    select
        quarters.quarter,
        coalesce(items.item_type, 'all') as item_type,
        coalesce(items.team, 'all') as team,
        count(*) as wip_at_quarter_end,
    from quarters
    inner join items
        on items.started_quarter <= quarters.quarter
        and (items.done_quarter is null or items.done_quarter > quarters.quarter)
    group by grouping sets (
        (quarters.quarter, items.item_type), (quarters.quarter, items.team), (quarters.quarter)
    )
),

flow as (
    select
        cells.quarter,
        cells.item_type,
        cells.team,
        cells.is_complete,
        coalesce(done.throughput, 0) as throughput,
        coalesce(done.items_timed, 0) as items_timed,
        coalesce(started.items_started, 0) as items_started,
        case when cells.is_complete then coalesce(in_progress_at_end.wip_at_quarter_end, 0) end
            as wip_at_quarter_end,
        done.cycle_time_median_days,
        done.cycle_time_p85_days,
        lag(done.cycle_time_median_days) over (
            partition by cells.item_type, cells.team order by cells.quarter
        ) as previous_median_days,
    from cells
    left join done
        on cells.quarter = done.quarter
        and cells.item_type = done.item_type
        and cells.team = done.team
    left join started
        on cells.quarter = started.quarter
        and cells.item_type = started.item_type
        and cells.team = started.team
    left join in_progress_at_end
        on cells.quarter = in_progress_at_end.quarter
        and cells.item_type = in_progress_at_end.item_type
        and cells.team = in_progress_at_end.team
)

select
    quarter,
    item_type,
    team,
    is_complete,
    throughput,
    items_timed,
    items_started,
    wip_at_quarter_end,
    cycle_time_median_days,
    cycle_time_p85_days,
    previous_median_days,
    -- a running quarter's median still moves: its improvement waits for the quarter's end
    case
        when is_complete
            then 100.0 * (previous_median_days - cycle_time_median_days)
                / nullif(previous_median_days, 0)
    end as improvement_pct,
from flow
order by quarter, item_type, team
