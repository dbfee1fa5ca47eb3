-- Support resolution time as of $as_of: median hours from first creation to resolution over
-- tickets resolved in the trailing window (share within target: support.support_daily).
select
    median(resolution_hours) as value,
from support.ticket_facts
where resolved_date > $as_of - $support_resolution_window_days::int
    and resolved_date <= $as_of
