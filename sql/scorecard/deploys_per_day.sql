-- Deployment frequency as of $as_of: successful production deployments per day, mean over the
-- trailing window (days without deploys count as 0).
select
    sum(successful_deployments) / $reliability_deploy_window_days as value,
from reliability.deployments_daily
where deploy_date > $as_of - $reliability_deploy_window_days::int
    and deploy_date <= $as_of
