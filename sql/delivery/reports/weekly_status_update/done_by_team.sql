-- Grain: one row per team and item type with work done in the ISO week holding the as-of day
-- (Monday to the as-of day), the total first ('all'), beside the same count in the week before.
-- A week without an item done in either week is one row saying so.
with
weeks as (
    select
        date_trunc('week', $as_of::date)::date as week_start,
        date_trunc('week', $as_of::date)::date - 7 as previous_week_start,
),

done as (
    select
        work_items.team,
        work_items.item_type,
        count(*) filter (where done.done_date >= weeks.week_start) as items_done,
        count(*) filter (where done.done_date < weeks.week_start) as items_done_previous_week,
    from weeks
    cross join delivery.items_done(
        weeks.previous_week_start, $as_of::date, $reporting_timezone
    ) as done
    inner join raw.work_items as work_items on done.work_item_id = work_items.work_item_id
    group by grouping sets ((work_items.team, work_items.item_type), ())
)

select
    strftime($as_of::date, '%G-W%V') as week,
    -- team and item_type are never NULL in raw.work_items: NULL is the grouping set's total
    coalesce(team, 'all') as team,
    coalesce(item_type, 'all') as item_type,
    items_done,
    items_done_previous_week,
from done
-- the empty grouping set's total row is there even without an item done
where items_done + items_done_previous_week > 0
union all
select
    strftime($as_of::date, '%G-W%V'),
    'no work item done in the week or the week before',
    null,
    0,
    0,
where not exists (select 1 from done where items_done + items_done_previous_week > 0)
order by team <> 'all', team, item_type
