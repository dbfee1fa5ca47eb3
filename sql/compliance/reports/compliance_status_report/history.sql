-- Grain: one row per month evaluated, the twelve up to the month holding $as_of: adherence and
-- the controls failing, so the report shows when each failing control last passed.
with
months as (
    select
        period_month as month,
        count(*) filter (where status = 'pass') as controls_passing,
        count(*) filter (where status <> 'not evaluated') as controls_evaluated,
        string_agg(control_id, ', ' order by control_id) filter (where status = 'fail')
            as failing_controls,
    from compliance.control_results
    where period_month <= date_trunc('month', $as_of::date)
    group by period_month
)

select
    month,
    controls_passing,
    controls_evaluated,
    100.0 * controls_passing / nullif(controls_evaluated, 0) as adherence_pct,
    failing_controls,
from months
order by month desc
limit 12
