-- Grain: one row: regulatory adherence of the latest month evaluated, in percent (controls
-- passing / controls evaluated x 100; a control with nothing to evaluate counts in neither).
select
    100.0 * count(*) filter (where status = 'pass')
    / nullif(count(*) filter (where status <> 'not evaluated'), 0) as adherence_pct,
from compliance.control_results
where period_month = (select max(period_month) from compliance.control_results)
