-- Grain: one row per treatment of the summary's experiments (completed in the fortnight as of
-- $as_of, or running on it) with users: its lift against control, the statistical validation
-- (interval, p-value, split check) and verdict; running ones interim.
select
    results.experiment_id,
    results.variant,
    results.users,
    round(100 * results.relative_lift, 1) as lift_pct,
    round(100 * results.relative_lift_ci_lower, 1) as lift_ci_lower_pct,
    round(100 * results.relative_lift_ci_upper, 1) as lift_ci_upper_pct,
    printf('%.2g', results.p_value) as p_value,
    results.srm_passed,
    results.verdict,
from experiments.experiment_results as results
inner join experiments.experiment_status as status
    on status.experiment_id = results.experiment_id
where not results.is_control
    and results.users > 0
    and experiments.in_summary(
        status.status, status.started_at, status.ended_at, $as_of, $reporting_timezone
    )
order by results.experiment_id, results.variant
