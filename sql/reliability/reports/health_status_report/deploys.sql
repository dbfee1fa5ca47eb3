-- Grain: one row: the production deploys of the day $as_of (reporting timezone), from
-- deployments_daily; a note, and no figures, when the table lacks the day.
select
    day.deploy_date,
    deployments_daily.successful_deployments,
    deployments_daily.failed_deployments,
    deployments_daily.rolled_back_deployments,
    deployments_daily.incident_causing_deployments,
    if(deployments_daily.deploy_date is null, 'no deployment data for this day', '') as note,
from (select $as_of::date as deploy_date) as day
left join reliability.deployments_daily on day.deploy_date = deployments_daily.deploy_date
