-- Grain: one row per experiment that ended in the month holding $as_of (its end day in the
-- reporting timezone between the month's first day and $as_of; experiments.experiment_status),
-- newest first: the winner, its lift and interval in percent, p-value, the sample-ratio check
-- and whether the winner was rolled out. Without one, one row saying so.
with
completed as (
    select
        experiment_status.*,
        timezone($reporting_timezone, experiment_status.ended_at)::date as ended_on,
    from experiments.experiment_status
    inner join growth.review_months($as_of) as months
        on timezone($reporting_timezone, experiment_status.ended_at)::date
            between months.month_start and months.month_end
)

select
    experiment_id,
    primary_metric,
    ended_on,
    users,
    srm_passed,
    winner,
    round(100 * winner_lift, 1) as winner_lift_pct,
    round(100 * winner_lift_ci_lower, 1) as winner_lift_ci_lower_pct,
    round(100 * winner_lift_ci_upper, 1) as winner_lift_ci_upper_pct,
    printf('%.2g', winner_p_value) as winner_p_value,
    rolled_out_variant,
    decision,
from completed
union all
select
    'no experiment ended in ' || strftime(months.month_start, '%Y-%m'),
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
from growth.review_months($as_of) as months
where not exists (select 1 from completed)
order by ended_on desc nulls last, experiment_id
