-- Grain: one row per calendar day (reporting timezone) in the window, days without deploys as 0.
-- Implements deployment frequency (metrics.md, scorecard deploys_per_day): successful production
-- deployments per day; failed, rolled-back and incident-causing ones beside it.
with
window_deployments as (
    select
        deployment_id,
        -- cut the calendar day in the reporting timezone
        (deployed_at at time zone $reporting_timezone)::date as deploy_date,
        status,
        rolled_back,
    from raw.deployments
    where deployed_at >= $window_start
        and deployed_at < $window_end
        and environment = 'production'
),

causing_incidents as (
    select distinct
        caused_by_deployment_id as deployment_id,
    from raw.incidents
    where caused_by_deployment_id is not null
),

calendar as (
    select
        day::date as deploy_date,
    from generate_series(
        ($window_start at time zone $reporting_timezone)::date,
        ($window_end at time zone $reporting_timezone)::date - 1,
        interval 1 day
    ) as days(day)
),

daily_counts as (
    select
        window_deployments.deploy_date,
        count(*) filter (where status = 'success') as successful_deployments,
        count(*) filter (where status = 'failed') as failed_deployments,
        count(*) filter (where status = 'success' and rolled_back) as rolled_back_deployments,
        count(causing_incidents.deployment_id) filter (where status = 'success')
            as incident_causing_deployments,
    from window_deployments
    left join causing_incidents
        on window_deployments.deployment_id = causing_incidents.deployment_id
    group by window_deployments.deploy_date
)

select
    calendar.deploy_date,
    coalesce(daily_counts.successful_deployments, 0) as successful_deployments,
    coalesce(daily_counts.failed_deployments, 0) as failed_deployments,
    coalesce(daily_counts.rolled_back_deployments, 0) as rolled_back_deployments,
    coalesce(daily_counts.incident_causing_deployments, 0) as incident_causing_deployments,
from calendar
left join daily_counts on calendar.deploy_date = daily_counts.deploy_date
order by calendar.deploy_date
