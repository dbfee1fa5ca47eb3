-- Grain: one row per regulatory obligation still open at the latest evaluated month's last day
-- with a deadline in the 90 days after it (days_left 1 to 90), the nearest first.
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
    and state = 'due'
order by due_on, obligation_id
