-- Grain: one row per calendar month (reporting timezone) of the window and regulatory obligation
-- still open at the month's end (not met by then, not waived) that is overdue (due on or before
-- the month's last day) or due in the 90 days after it (days_left 1 to 90; 91 is not listed).
-- The playbook's regulatory monitoring: what is late and what comes next, as of each month end.
with
months as (
    select
        period_month,
        next_month,
        (next_month - 1)::date as last_day,
    from compliance.window_months($window_start, $window_end, $reporting_timezone)
),

obligations as (
    select
        obligation_id,
        regulation,
        jurisdiction,
        requirement,
        owner,
        effective_on,
        due_on,
        met_on,
        status,
    from raw.regulatory_obligations
    where status <> 'waived'
)

select
    months.period_month,
    obligations.obligation_id,
    date_diff('day', months.last_day, obligations.due_on) as days_left,
    if(days_left <= 0, 'overdue', 'due') as state,
    if(days_left <= 0, 1, 0) as overdue,
    obligations.due_on,
    obligations.regulation,
    obligations.jurisdiction,
    obligations.requirement,
    obligations.owner,
    obligations.effective_on,
    obligations.status,
from obligations
inner join months
    on obligations.due_on <= months.last_day + 90
    -- a meeting after the month's end is not known at it
    and (obligations.met_on is null or obligations.met_on > months.last_day)
