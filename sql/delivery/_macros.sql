-- Shared steps of the delivery queries, as DuckDB macros (run before the domain's queries).
-- A macro sees no bound parameters: the as-of day and the reporting timezone come in as
-- arguments. DuckDB binds a macro's body when it is created, and the domain's assets create
-- these before their own query runs: a macro reads raw tables only, never delivery's own.

-- ---------------------------------------------------------------- tech_debt_assessment
-- Tech-debt work items (raw.work_items, item_type 'tech_debt') open at the end of the as-of day:
-- filed by then and not done by then (days cut in the reporting timezone). age_days = as-of day
-- - the day it was filed; in_progress = work on it had begun by then.
create or replace macro delivery.open_tech_debt(as_of, reporting_timezone) as table
    with
    items as (
        select
            work_item_id,
            title,
            team,
            priority,
            -- cut calendar days in the reporting timezone
            (created_at at time zone reporting_timezone)::date as created_date,
            (started_at at time zone reporting_timezone)::date as started_date,
            (done_at at time zone reporting_timezone)::date as done_date,
        from raw.work_items
        where item_type = 'tech_debt'
    )

    select
        work_item_id,
        title,
        team,
        priority,
        created_date,
        coalesce(started_date <= as_of, false) as in_progress,
        date_diff('day', created_date, as_of::date) as age_days,
    from items
    where created_date <= as_of
        and (done_date is null or done_date > as_of);
