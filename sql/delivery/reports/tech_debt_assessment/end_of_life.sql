-- Grain: one row per component version in the stack inventory (raw.stack_components, rows
-- recorded by the end of the as-of day, reporting timezone) past its end of life on the as-of
-- day or reaching it within 180 days after it, the earliest end of life first. Without any
-- inventory row one row says so, and one row says when none is past or near its end of life:
-- a plain statement, never an invented component.
with
inventory as (
    select
        component,
        version,
        category,
        latest_version,
        end_of_life,
        used_by,
    from raw.stack_components
    -- an inventory taken after the as-of day was not known on it
    where (recorded_at at time zone $reporting_timezone)::date <= $as_of::date
),

near_end as (
    select
        case
            when end_of_life <= $as_of::date then 'past end of life'
            else 'end of life within 180 days'
        end as status,
        component,
        version,
        category,
        latest_version,
        end_of_life,
        case
            when end_of_life <= $as_of::date then date_diff('day', end_of_life, $as_of::date)
        end as days_past,
        case
            when end_of_life > $as_of::date then date_diff('day', $as_of::date, end_of_life)
        end as days_left,
        used_by,
    from inventory
    where end_of_life <= $as_of::date + 180
),

statement as (
    select
        case
            when not exists (from raw.stack_components) then 'no stack versions loaded'
            when not exists (from inventory) then 'no stack inventory recorded by the as-of day'
            else 'no component past or within 180 days of its end of life'
        end as status,
    where not exists (from near_end)
)

select
    status,
    component,
    version,
    category,
    latest_version,
    end_of_life,
    days_past,
    days_left,
    used_by,
from near_end
union all by name
select status from statement
order by end_of_life nulls last, component, version
