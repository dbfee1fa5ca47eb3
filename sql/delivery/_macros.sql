-- Shared steps of the delivery queries and reports, as DuckDB table macros (run before the
-- domain's queries and report sections). A macro sees no bound parameters: the day and the
-- reporting timezone come in as arguments. DuckDB binds a macro's tables when it is created, and
-- every delivery query runs these first: they read raw.work_items only, which always exists.
-- Days are cut in the reporting timezone.

-- Whether something filed on `first_day` and closed on `last_day` (NULL: not yet) was open at the
-- end of `as_of` (DATEs): a work item, an incident.
create or replace macro delivery.open_on(first_day, last_day, as_of) as
    first_day <= as_of::date and coalesce(last_day > as_of::date, true);

-- The work items open at the end of `as_of` (a DATE): filed by then and not done by then. One row
-- per item: its age in whole days since it was filed, its flow state that day (`blocked` while
-- the tracker gives a blocked_reason, else `in_progress` once started, else `not_started`) and
-- the whole days since work began (NULL unless started). The tracker keeps only an item's current
-- blocked_reason, so an as-of day in the past sees today's blockers.
create or replace macro delivery.open_items(as_of, reporting_timezone) as table
    with
    items as (
        select
            work_item_id,
            blocked_reason,
            -- cut the days in the reporting timezone
            (created_at at time zone reporting_timezone)::date as created_date,
            (started_at at time zone reporting_timezone)::date as started_date,
            (done_at at time zone reporting_timezone)::date as done_date,
        from raw.work_items
    ),

    open_items as (
        select
            work_item_id,
            blocked_reason,
            created_date,
            -- a start after the as-of day had not happened yet
            case when started_date <= as_of::date then started_date end as started_date,
        from items
        where delivery.open_on(created_date, done_date, as_of)
    )

    select
        work_item_id,
        as_of::date - created_date as age_days,
        case
            when blocked_reason is not null then 'blocked'
            when started_date is not null then 'in_progress'
            else 'not_started'
        end as flow_state,
        as_of::date - started_date as days_in_progress,
    from open_items;

-- The items of delivery.open_items with the tracker's fields a section shows: `work_items` names
-- the caller's CTE over raw.work_items (work_item_id and those fields), so the section names the
-- table it reads. One row per open item: its fields, age_days, flow_state and days_in_progress.
create or replace macro delivery.open_work_items(as_of, reporting_timezone, work_items) as table
    select
        work_items.*,
        open_items.age_days,
        open_items.flow_state,
        open_items.days_in_progress,
    from delivery.open_items(as_of, reporting_timezone) as open_items
    inner join query_table(work_items) as work_items
        on open_items.work_item_id = work_items.work_item_id;

-- The work items done on the days [first_day, last_day] (DATEs): one row per item with the day it
-- was done. An item done before it started counts nowhere (delivery.work_item_flow quarantines it).
create or replace macro delivery.items_done(first_day, last_day, reporting_timezone) as table
    select
        work_item_id,
        -- cut the day in the reporting timezone
        (done_at at time zone reporting_timezone)::date as done_date,
    from raw.work_items
    where done_date between first_day::date and last_day::date
        and coalesce(done_at >= started_at, true);

-- Trailing throughput for the sprint planned in the ISO week holding `as_of`: one row per ISO week
-- of the six before that week (Monday week_start), with the items done in it (0 for none).
create or replace macro delivery.trailing_throughput(as_of, reporting_timezone) as table
    with
    weeks as (
        select week_start::date as week_start,
        from generate_series(
            date_trunc('week', as_of::date) - interval 42 day,
            date_trunc('week', as_of::date) - interval 7 day,
            interval 7 day
        ) as series(week_start)
    ),

    done as (
        select
            date_trunc('week', done_date)::date as week_start,
            count(*) as items_done,
        from delivery.items_done(
            date_trunc('week', as_of::date)::date - 42,
            date_trunc('week', as_of::date)::date - 1,
            reporting_timezone
        )
        group by all
    )

    select
        weeks.week_start,
        coalesce(done.items_done, 0) as items_done,
    from weeks
    left join done on weeks.week_start = done.week_start
    order by weeks.week_start;

-- The tech-debt work items (item_type 'tech_debt') of delivery.open_items, with the tracker's
-- title, team and priority, the day each was filed and whether work on it had begun.
create or replace macro delivery.open_tech_debt(as_of, reporting_timezone) as table
    select
        open_items.work_item_id,
        work_items.title,
        work_items.team,
        work_items.priority,
        as_of::date - cast(open_items.age_days as integer) as created_date,
        open_items.days_in_progress is not null as in_progress,
        open_items.age_days,
    from delivery.open_items(as_of, reporting_timezone) as open_items
    inner join raw.work_items as work_items on open_items.work_item_id = work_items.work_item_id
    where work_items.item_type = 'tech_debt';
