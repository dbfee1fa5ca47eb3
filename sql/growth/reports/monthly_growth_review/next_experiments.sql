-- Grain: one row per experiment not yet started on $as_of: planned in
-- experiments.experiment_status (declared, no user assigned yet) or starting after $as_of,
-- earliest start first. Without one, one row saying the pipeline is empty.
with
planned as (
    select
        experiment_status.experiment_id,
        experiment_status.name,
        experiment_status.primary_metric,
        experiment_status.variants,
        timezone($reporting_timezone, experiment_status.started_at)::date as planned_start,
    from experiments.experiment_status
    cross join growth.review_months($as_of) as months
    where experiment_status.status = 'planned'
        or timezone($reporting_timezone, experiment_status.started_at)::date > months.month_end
)

select
    experiment_id,
    name,
    primary_metric,
    variants,
    planned_start,
from planned
union all
select
    'no experiment planned: the pipeline is empty',
    null,
    null,
    null,
    null,
where not exists (select 1 from planned)
order by planned_start nulls last, experiment_id
