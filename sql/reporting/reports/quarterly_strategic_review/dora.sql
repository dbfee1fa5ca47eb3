-- Grain: one row per quarter compared (the one holding the as-of day first), from
-- reliability.dora_monthly over the quarter's months: successful production deployments,
-- deployments per day of the quarter's days covered, and change failure rate = failed changes /
-- deployments x 100.
with
per_quarter as (
    select
        quarters.is_current,
        quarters.quarter,
        quarters.days,
        coalesce(sum(dora.deployments), 0) as deployments,
        coalesce(sum(dora.failed_changes), 0) as failed_changes,
    from reporting.strategic_quarters($as_of) as quarters
    left join reliability.dora_monthly as dora
        on dora.month between quarters.first_day and quarters.last_day
    group by all
)

select
    quarter,
    deployments::bigint as deployments,
    round(deployments / days, 2) as deployments_per_day,
    failed_changes::bigint as failed_changes,
    round(100.0 * failed_changes / nullif(deployments, 0), 1) as change_failure_rate_pct,
from per_quarter
order by is_current desc
