-- Grain: one row per experiment completed in the fortnight as of $as_of (the two ISO weeks ending
-- with the one holding it, up to $as_of), newest first: its outcome and whether it shipped; one
-- row 'none' when no experiment ended then.
with
completed as (
    select
        experiment_id,
        primary_metric,
        (ended_at at time zone $reporting_timezone)::date as ended_on,
        assigned_users,
        srm_passed,
        winner,
        round(100 * winner_lift, 1) as winner_lift_pct,
        round(100 * winner_lift_ci_lower, 1) as winner_lift_ci_lower_pct,
        round(100 * winner_lift_ci_upper, 1) as winner_lift_ci_upper_pct,
        printf('%.2g', winner_p_value) as winner_p_value,
        rolled_out_variant,
        decision,
    from experiments.experiment_status
    where status = 'completed'
        and experiments.ended_in_fortnight(ended_at, $as_of, $reporting_timezone)
)

select
    *,
from completed
union all
select
    'none: no experiment completed in the fortnight',
    null,
    null,
    null,
    null,
    null,
    null,
    null,
    null,
    null,
    null,
    null,
where not exists (select 1 from completed)
order by ended_on desc nulls last, experiment_id
