-- Grain: one row per control area in the month holding $as_of: controls passing, evaluated
-- and the area's adherence in percent.
select
    period_month as month,
    area,
    count(*) filter (where status = 'pass') as controls_passing,
    count(*) filter (where status <> 'not evaluated') as controls_evaluated,
    100.0 * controls_passing / nullif(controls_evaluated, 0) as adherence_pct,
from compliance.control_results
where period_month = date_trunc('month', $as_of::date)
group by period_month, area
order by area
