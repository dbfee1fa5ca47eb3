-- Grain: one row per regulatory obligation past its deadline and still not met at the latest
-- evaluated month's last day, the longest overdue first (days_left: 0 or less).
select
    due_on,
    days_left,
    regulation,
    jurisdiction,
    requirement,
    owner,
    status,
    obligation_id,
from compliance.obligation_deadlines
where period_month = (select max(period_month) from compliance.control_results)
    and state = 'overdue'
order by due_on, obligation_id
