-- Grain: one row per treatment of every experiment with users: its lift against control, the
-- statistical validation (interval, p-value, split check) and verdict; running ones interim.
select
    experiment_id,
    variant,
    users,
    round(100 * relative_lift, 1) as lift_pct,
    round(100 * relative_lift_ci_lower, 1) as lift_ci_lower_pct,
    round(100 * relative_lift_ci_upper, 1) as lift_ci_upper_pct,
    printf('%.2g', p_value) as p_value,
    srm_passed,
    verdict,
from experiments.experiment_results
where not is_control and users > 0
order by experiment_id, variant
