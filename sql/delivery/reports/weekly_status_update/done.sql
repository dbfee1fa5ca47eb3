-- Grain: one row per work item done in the ISO week holding the as-of day (Monday to the as-of
-- day), by the day it was done; a week without one is one row saying so.
with
done as (
    select
        done.done_date,
        work_items.work_item_id,
        work_items.title,
        work_items.item_type,
        work_items.team,
        work_items.priority,
    from delivery.items_done(
        date_trunc('week', $as_of::date)::date, $as_of::date, $reporting_timezone
    ) as done
    inner join raw.work_items as work_items on done.work_item_id = work_items.work_item_id
)

select
    done_date,
    work_item_id,
    title,
    item_type,
    team,
    priority,
from done
union all
select
    null,
    null,
    'no work item done in the week',
    null,
    null,
    null,
where not exists (select 1 from done)
order by done_date, work_item_id
