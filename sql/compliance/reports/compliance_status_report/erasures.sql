-- Grain: one row per reason (erasure requests carried out, retention purge) in the month holding
-- $as_of: requests, runs, raw tables touched, rows removed and values emptied, from the
-- erasure audit log; zero and "none executed" when nothing ran that month.
select
    period_month as month,
    reason,
    requests,
    runs,
    tables_touched,
    rows_removed,
    values_emptied,
    request_ids,
    last_executed_at,
from compliance.erasures_executed
where period_month = date_trunc('month', $as_of::date)
order by reason
