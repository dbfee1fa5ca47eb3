-- Grain: one row per work item (raw.work_items). Implements cycle time (metrics.md, scorecard
-- process_improvement_pct): done_at - started_at, in days. An item done before it started is
-- quarantined here, kept with its reason and counted in no median, throughput or work in progress.
with
items as (
    select
        work_item_id,
        item_type,
        team,
        created_at,
        started_at,
        done_at,
    from raw.work_items
),

classified as (
    select
        *,
        case
            when done_at < started_at then 'quarantined'
            when done_at is not null then 'done'
            when started_at is not null then 'in_progress'
            else 'not_started'
        end as flow_state,
        case
            when done_at < started_at then 'done before it started'
            when done_at is not null and started_at is null then 'done without a start'
        end as flow_issue,
    from items
)

select
    work_item_id,
    item_type,
    team,
    created_at,
    started_at,
    done_at,
    flow_state,
    flow_issue,
    -- cut calendar quarters in the reporting timezone
    date_trunc('quarter', started_at at time zone $reporting_timezone)::date as started_quarter,
    case
        when flow_state = 'done'
            then date_trunc('quarter', done_at at time zone $reporting_timezone)::date
    end as done_quarter,
    case
        when flow_state = 'done' then date_diff('second', started_at, done_at) / 86400.0
    end as cycle_time_days,
from classified
order by created_at, work_item_id
