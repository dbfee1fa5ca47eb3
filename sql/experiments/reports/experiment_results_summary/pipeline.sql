-- Grain: one row per experiment not yet decided (planned, then running), earliest start first.
select
    experiment_id,
    name,
    status,
    started_at::date as started_on,
    assigned_users,
    users,
    decision,
from experiments.experiment_status
where status in ('planned', 'running')
order by status, started_at, experiment_id
