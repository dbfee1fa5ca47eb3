-- Grain: one row per control: its status in the latest month evaluated, the last month it passed
-- and the last month it failed (the test history of compliance.control_results).
select
    control_id,
    area,
    owner,
    arg_max(status, period_month) as latest_status,
    max(period_month) filter (where status = 'pass') as last_passed,
    max(period_month) filter (where status = 'fail') as last_failed,
from compliance.control_results
group by control_id, area, owner
order by area, control_id
