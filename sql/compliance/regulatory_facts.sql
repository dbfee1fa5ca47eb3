-- Grain: one row per calendar month (reporting timezone) of the window and regulatory obligation
-- evaluated that month, with whether it passed and why (metrics.md, Compliance; the playbook's
-- regulatory monitoring): regulatory_deadlines: obligations whose deadline fell in the month, and
-- those due earlier still not met when the month began (an overdue obligation fails every month
-- until it is met), passing when met by the end of their due day. Waived ones are not evaluated.
with
months as (
    select
        period_month,
        next_month,
    from compliance.window_months($window_start, $window_end, $reporting_timezone)
),

obligations as (
    select
        obligation_id,
        regulation,
        requirement,
        due_on,
        met_on,
    from raw.regulatory_obligations
    where status <> 'waived'
)

select
    months.period_month,
    'regulatory_deadlines' as control_id,
    obligations.obligation_id as record_id,
    -- a meeting after the month's end is not known at it
    coalesce(obligations.met_on <= obligations.due_on, false) as passed,
    obligations.regulation || ': ' || obligations.requirement || ', due '
    || obligations.due_on::varchar || ': '
    || case
        when passed then 'met on time'
        when obligations.met_on < months.next_month
            then 'met late on ' || obligations.met_on::varchar
        else 'not met, ' || date_diff('day', obligations.due_on, months.next_month - 1)::varchar
            || ' days overdue at the month''s end'
    end as reason,
from obligations
inner join months
    on obligations.due_on < months.next_month
    and (
        obligations.due_on >= months.period_month
        or obligations.met_on is null
        or obligations.met_on >= months.period_month
    )
