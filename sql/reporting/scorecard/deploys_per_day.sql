-- Deployment frequency as of $as_of: successful production deployments per day, mean over the
-- trailing window (days without deploys count as 0). No value (no data, not 0 per day) for a
-- company that has recorded no deployment at all up to $as_of.
with trailing_days as (
    select successful_deployments,
    from reliability.deployments_daily
    where deploy_date > $as_of - $reliability_deploy_window_days::int
        and deploy_date <= $as_of
),

recorded as (
    select count(*) as deployments,
    from reliability.deployments_daily
    where deploy_date <= $as_of
        and successful_deployments + failed_deployments > 0
)

select
    case
        when (select deployments from recorded) > 0
            then sum(successful_deployments) / $reliability_deploy_window_days
    end as value,
from trailing_days
