-- Grain: one row: the sprint planned in the ISO week holding the as-of day. Capacity = the mean
-- of the items done per ISO week over the six weeks before; the suggested sprint is the top
-- floor(capacity) items of the ranked backlog. P0 and P1 rank before every other item, so those
-- left outside it are the P0/P1 items beyond the sprint's size.
with
loaded as (
    select count(*) as work_items,
    from raw.work_items
),

backlog as (
    select
        count(*) as open_items,
        count(*) filter (where work_items.priority in ('P0', 'P1')) as p0_p1_open,
    from delivery.open_items($as_of, $reporting_timezone) as open_items
    inner join raw.work_items as work_items on open_items.work_item_id = work_items.work_item_id
),

capacity as (
    select
        avg(items_done) as throughput_mean_per_week,
        floor(avg(items_done))::integer as sprint_size,
    from delivery.trailing_throughput($as_of, $reporting_timezone)
)

select
    strftime($as_of::date, '%G-W%V') as week,
    backlog.open_items,
    backlog.p0_p1_open,
    round(capacity.throughput_mean_per_week, 2) as throughput_mean_per_week,
    capacity.sprint_size,
    least(backlog.open_items, capacity.sprint_size) as items_in_sprint,
    greatest(backlog.p0_p1_open - capacity.sprint_size, 0) as p0_p1_outside_sprint,
    case
        when loaded.work_items = 0 then 'no work items loaded (raw.work_items)'
        when backlog.open_items = 0
            then 'the backlog is empty: no work item open on ' || strftime($as_of::date, '%Y-%m-%d')
        when capacity.sprint_size = 0
            then 'no sprint suggested: fewer than one item done per week in the six weeks before'
        else 'the suggested sprint is the top ' || capacity.sprint_size || ' of the ranked backlog'
    end as note,
from backlog
cross join capacity
cross join loaded
