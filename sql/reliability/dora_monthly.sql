-- Grain: one row per calendar month (reporting timezone; its first day) with production deploys.
-- Implements DORA (metrics.md, Reliability): deployment frequency, lead time for changes (median,
-- zero or negative excluded), change failure rate and failed-deployment recovery time (median).
with
deployments as (
    select
        deployment_id,
        deployed_at,
        -- cut the calendar month in the reporting timezone
        date_trunc('month', (deployed_at at time zone $reporting_timezone))::date as month,
        rolled_back,
    from raw.deployments
    where environment = 'production'
        and status = 'success'
),

commits as (
    select
        deployment_id,
        committed_at,
    from raw.deployment_commits
),

incidents as (
    select
        caused_by_deployment_id as deployment_id,
        resolved_at,
    from reliability.incidents
    where caused_by_deployment_id is not null
),

lead_times as (
    select
        deployments.month,
        date_diff('second', commits.committed_at, deployments.deployed_at) / 3600.0
            as lead_time_hours,
    from commits
    inner join deployments on commits.deployment_id = deployments.deployment_id
    where commits.committed_at < deployments.deployed_at
),

failures as (
    select
        deployments.deployment_id,
        deployments.month,
        -- recovery: from the failing deployment to the resolution of the last incident it caused
        date_diff('minute', deployments.deployed_at, max(incidents.resolved_at))
            as recovery_minutes,
    from deployments
    left join incidents on deployments.deployment_id = incidents.deployment_id
    where deployments.rolled_back
        or incidents.deployment_id is not null
    group by deployments.deployment_id, deployments.month, deployments.deployed_at
),

calendar_days as (
    select
        month,
        -- days of the month so far: a month in progress counts only the days it has had
        least(
            last_day(month),
            (get_current_timestamp() at time zone $reporting_timezone)::date
        ) - month + 1 as days,
    from deployments
    group by month
),

per_month as (
    select
        month,
        count(*) as deployments,
    from deployments
    group by month
),

per_month_lead as (
    select
        month,
        median(lead_time_hours) as lead_time_median_hours,
        count(*) as changes,
    from lead_times
    group by month
),

per_month_failures as (
    select
        month,
        count(*) as failed_changes,
        median(recovery_minutes) as recovery_median_minutes,
    from failures
    group by month
)

select
    per_month.month,
    per_month.deployments,
    per_month.deployments / nullif(calendar_days.days, 0) as deployments_per_day,
    per_month_lead.changes,
    per_month_lead.lead_time_median_hours,
    coalesce(per_month_failures.failed_changes, 0) as failed_changes,
    100.0 * coalesce(per_month_failures.failed_changes, 0)
        / nullif(per_month.deployments, 0) as change_failure_rate_pct,
    per_month_failures.recovery_median_minutes,
from per_month
inner join calendar_days on per_month.month = calendar_days.month
left join per_month_lead on per_month.month = per_month_lead.month
left join per_month_failures on per_month.month = per_month_failures.month
order by per_month.month
