-- MTTR as of $as_of: mean minutes from detection to resolution over incidents resolved in the
-- trailing MTTR window (median and still-open count: reliability.incident_summary_monthly).
select
    avg(minutes_to_resolve) as value,
from reliability.incidents
where resolved_date > $as_of - $reliability_mttr_window_days::int
    and resolved_date <= $as_of
