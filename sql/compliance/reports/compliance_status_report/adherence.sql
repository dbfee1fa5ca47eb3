-- Grain: one row: regulatory adherence of the month holding $as_of, in percent (controls passing
-- / controls evaluated x 100; a control with nothing to evaluate counts in neither; NULL when
-- the month was not evaluated).
select
    100.0 * count(*) filter (where status = 'pass')
    / nullif(count(*) filter (where status <> 'not evaluated'), 0) as adherence_pct,
from compliance.control_results
where period_month = date_trunc('month', $as_of::date)
