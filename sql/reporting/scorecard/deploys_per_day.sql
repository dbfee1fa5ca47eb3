-- Grain: one row per as-of day in [$first_day, $last_day]. Deployment frequency (metrics.md,
-- scorecard): successful production deployments per day, mean over the trailing window ending on
-- the day (days without deploys count as 0). No value (no data, not 0 per day) on a day before
-- the company's first recorded deployment.
with
scored_days as (
    select day::date as as_of,
    from generate_series($first_day::date, $last_day::date, interval 1 day) as days(day)
),

first_recorded as (
    select min(deploy_date) as deploy_date,
    from reliability.deployments_daily
    where successful_deployments + failed_deployments > 0
),

trailing_days as (
    select
        deploy_date,
        successful_deployments,
    from reliability.deployments_daily
    -- the first day's trailing window starts this far back
    where deploy_date > $first_day::date - $reliability_deploy_window_days::int
        and deploy_date <= $last_day::date
)

select
    scored_days.as_of,
    case
        when (select deploy_date from first_recorded) <= scored_days.as_of
            then coalesce(sum(trailing_days.successful_deployments), 0)
                / $reliability_deploy_window_days
    end as value,
from scored_days
left join trailing_days
    on trailing_days.deploy_date > scored_days.as_of - $reliability_deploy_window_days::int
    and trailing_days.deploy_date <= scored_days.as_of
group by scored_days.as_of
