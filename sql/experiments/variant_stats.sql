-- Grain: one row per experiment and declared variant.
-- Implements the per-variant statistics of metrics.md, Experiments (GrowthBook's sufficient
-- statistics): users assigned; of them, the users whose primary metric has been observed, with
-- its sum, sum of squares and rate (conversions) or mean.
with
experiments as (
    select
        experiment_id,
        metric_type,
    from raw.experiments
),

variants as (
    select
        experiment_id,
        variant,
        is_control,
        planned_share,
    from raw.experiment_variants
),

assignments as (
    select
        experiment_id,
        user_id,
        variant,
    from raw.experiment_assignments
),

outcomes as (
    select
        experiment_id,
        user_id,
        metric_value,
    from raw.experiment_outcomes
),

assigned as (
    select
        experiment_id,
        variant,
        count(*) as assigned_users,
    from assignments
    group by experiment_id, variant
),

-- an assigned user without an outcome row is still inside the metric's window: not analysed yet
observed as (
    select
        assignments.experiment_id,
        assignments.variant,
        count(*) as users,
        sum(outcomes.metric_value) as metric_sum,
        sum(outcomes.metric_value * outcomes.metric_value) as metric_sum_squares,
    from assignments
    inner join outcomes using (experiment_id, user_id)
    group by assignments.experiment_id, assignments.variant
)

select
    variants.experiment_id,
    variants.variant,
    variants.is_control,
    experiments.metric_type,
    variants.planned_share,
    coalesce(assigned.assigned_users, 0) as assigned_users,
    coalesce(assigned.assigned_users, 0)
        / nullif(sum(coalesce(assigned.assigned_users, 0)) over (
            partition by variants.experiment_id
        ), 0) as assigned_share,
    coalesce(observed.users, 0) as users,
    coalesce(observed.metric_sum, 0) as metric_sum,
    coalesce(observed.metric_sum_squares, 0) as metric_sum_squares,
    case when experiments.metric_type = 'conversion'
        then observed.metric_sum / nullif(observed.users, 0) end as conversion_rate,
    case when experiments.metric_type = 'mean'
        then observed.metric_sum / nullif(observed.users, 0) end as metric_mean,
from variants
inner join experiments using (experiment_id)
left join assigned using (experiment_id, variant)
left join observed using (experiment_id, variant)
order by variants.experiment_id, variants.is_control desc, variants.variant
