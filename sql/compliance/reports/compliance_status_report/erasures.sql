-- Grain: one row per reason (erasure requests carried out, retention purge) in the latest month
-- evaluated: requests, runs, raw tables touched, rows removed and values emptied, from the
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
where period_month = (select max(period_month) from compliance.control_results)
order by reason
