-- Grain: one row per control: its status in the month holding $as_of, the last month up to it
-- it passed and the last it failed (the test history of compliance.control_results).
select
    control_id,
    area,
    owner,
    any_value(status) filter (where period_month = date_trunc('month', $as_of::date))
        as month_status,
    max(period_month) filter (where status = 'pass') as last_passed,
    max(period_month) filter (where status = 'fail') as last_failed,
from compliance.control_results
where period_month <= date_trunc('month', $as_of::date)
group by control_id, area, owner
order by area, control_id
