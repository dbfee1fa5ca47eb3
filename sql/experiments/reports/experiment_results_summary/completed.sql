-- Grain: one row per completed experiment, newest first: its outcome and whether it shipped.
select
    experiment_id,
    primary_metric,
    ended_at::date as ended_on,
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
order by ended_at desc, experiment_id
