-- Grain: one row per regulatory obligation past its deadline and still not met at the last day
-- of the month holding $as_of, the longest overdue first (days_left: 0 or less).
select unnest(compliance.obligation_listed(obligation_deadlines)),
from compliance.obligation_deadlines
where period_month = date_trunc('month', $as_of::date)
    and state = 'overdue'
order by due_on, obligation_id
