-- Grain: one row per experiment running at the end of $as_of (started by then, not ended by
-- then; experiments.experiment_status), earliest start first, with whether it started in the
-- month: the pipeline under way. Without one, one row saying so.
with
running as (
    select
        experiment_status.experiment_id,
        experiment_status.name,
        timezone($reporting_timezone, experiment_status.started_at)::date as started_on,
        experiment_status.assigned_users,
        experiment_status.srm_passed,
        timezone($reporting_timezone, experiment_status.started_at)::date >= months.month_start
            as started_this_month,
    from experiments.experiment_status
    cross join growth.review_months($as_of) as months
    where experiment_status.status <> 'planned'
        and timezone($reporting_timezone, experiment_status.started_at)::date <= months.month_end
        and coalesce(
            timezone($reporting_timezone, experiment_status.ended_at)::date > months.month_end,
            true
        )
)

select
    experiment_id,
    name,
    started_on,
    started_this_month,
    assigned_users,
    srm_passed,
from running
union all
select
    'no experiment running on ' || strftime(months.month_end, '%Y-%m-%d'),
    null,
    null,
    null,
    null,
    null,
from growth.review_months($as_of) as months
where not exists (select 1 from running)
order by started_on nulls last, experiment_id
