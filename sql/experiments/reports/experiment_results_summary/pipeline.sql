-- Grain: one row per experiment not decided on $as_of: planned (nobody assigned yet, or not
-- started by then), then running on $as_of, earliest start first. Its decision is today's, shown
-- only while it still stands where it stood on $as_of.
with
pipeline as (
    select
        experiment_id,
        name,
        case
            when status = 'planned' or (started_at at time zone $reporting_timezone)::date > $as_of
                then 'planned'
            else 'running'
        end as status_on_day,
        status,
        (started_at at time zone $reporting_timezone)::date as started_on,
        assigned_users,
        users,
        decision,
    from experiments.experiment_status
    where status = 'planned'
        or not coalesce((ended_at at time zone $reporting_timezone)::date <= $as_of, false)
)

select
    experiment_id,
    name,
    status_on_day as status,
    started_on,
    assigned_users,
    users,
    case when status_on_day = status then decision end as decision,
from pipeline
order by status_on_day, started_on, experiment_id
