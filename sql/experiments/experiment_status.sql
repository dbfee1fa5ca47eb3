-- Grain: one row per experiment: where it stands (planned, running, completed), its winner and
-- whether a variant was rolled out. Implements metrics.md, Experiments ("record the winner and
-- whether it was rolled out") over experiments.experiment_results; higher metric values are
-- better.
with
experiments as (
    select
        experiment_id,
        name,
        primary_metric,
        metric_type,
        started_at,
        ended_at,
        rolled_out_variant,
    from raw.experiments
),

results as (
    select
        experiment_id,
        variant,
        is_control,
        assigned_users,
        users,
        relative_lift,
        relative_lift_ci_lower,
        relative_lift_ci_upper,
        p_value,
        srm_p_value,
        srm_passed,
        is_significant,
    from experiments.experiment_results
),

per_experiment as (
    select
        experiment_id,
        count(*) as variants,
        sum(assigned_users)::bigint as assigned_users,
        sum(users)::bigint as users,
        any_value(srm_p_value) as srm_p_value,
        any_value(srm_passed) as srm_passed,
        any_value(variant) filter (where is_control) as control_variant,
        count(*) filter (where not is_control) as treatments,
        count(*) filter (where is_significant and relative_lift < 0) as treatments_worse,
        -- the significant treatment with the largest lift
        arg_max(variant, relative_lift) filter (where is_significant and relative_lift > 0)
            as best_treatment,
    from results
    group by experiment_id
),

stages as (
    select
        experiments.*,
        per_experiment.* exclude (experiment_id),
        case
            when coalesce(per_experiment.assigned_users, 0) = 0 and experiments.ended_at is null
                then 'planned'
            when experiments.ended_at is null then 'running'
            else 'completed'
        end as status,
    from experiments
    left join per_experiment using (experiment_id)
),

-- a winner only once the experiment has ended (no decision on an interim look) and its split
-- passed; the control wins when every treatment is significantly worse
decisions as (
    select
        *,
        case
            when status <> 'completed' or not coalesce(srm_passed, false) then null
            when best_treatment is not null then best_treatment
            when treatments > 0 and treatments_worse = treatments then control_variant
        end as winner,
    from stages
)

select
    decisions.experiment_id,
    decisions.name,
    decisions.primary_metric,
    decisions.metric_type,
    decisions.status,
    decisions.started_at,
    decisions.ended_at,
    coalesce(decisions.variants, 0) as variants,
    coalesce(decisions.assigned_users, 0) as assigned_users,
    coalesce(decisions.users, 0) as users,
    decisions.srm_p_value,
    decisions.srm_passed,
    decisions.winner,
    winning.relative_lift as winner_lift,
    winning.relative_lift_ci_lower as winner_lift_ci_lower,
    winning.relative_lift_ci_upper as winner_lift_ci_upper,
    winning.p_value as winner_p_value,
    decisions.rolled_out_variant,
    decisions.rolled_out_variant is not null as is_rolled_out,
    case
        when decisions.status = 'planned' then 'planned: no users assigned yet'
        when decisions.status = 'running' and decisions.srm_passed = false
            then 'running with a sample-ratio mismatch: fix the assignment before reading it'
        when decisions.status = 'running' then 'running: interim result, no decision before it ends'
        when decisions.srm_passed = false then 'invalid: sample-ratio mismatch'
        when decisions.winner is null and decisions.rolled_out_variant is not null
            then 'rolled out without a significant winner'
        when decisions.winner is null then 'no significant difference'
        when decisions.winner = decisions.control_variant
            and coalesce(decisions.rolled_out_variant, decisions.control_variant)
                = decisions.control_variant
            then 'control won: kept'
        when decisions.rolled_out_variant = decisions.winner then 'winner rolled out'
        when decisions.rolled_out_variant is null then 'winner not rolled out yet'
        else 'rolled out a variant other than the winner'
    end as decision,
from decisions
left join results as winning
    on winning.experiment_id = decisions.experiment_id
    and winning.variant = decisions.winner
    and not winning.is_control
order by decisions.started_at, decisions.experiment_id
