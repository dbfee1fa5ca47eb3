-- Grain: one row per regulatory obligation still open at the last day of the month holding $as_of
-- with a deadline in the 90 days after it (days_left 1 to 90), the nearest first.
select unnest(compliance.obligation_listed(obligation_deadlines)),
from compliance.obligation_deadlines
where period_month = date_trunc('month', $as_of::date)
    and state = 'due'
order by due_on, obligation_id
