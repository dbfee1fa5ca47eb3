-- Grain: one row per calendar month (reporting timezone) of the window and reason (erasure: a
-- data-subject request carried out, GDPR Art. 17; retention: the retention purge), from the audit
-- log of `nexus erase` and `nexus purge` (ingest.erasure_log); both reasons every month, zero
-- when nothing was executed, so a month without erasures says so.
with
months as (
    select
        period_month,
        starts_at,
        ends_at,
    from compliance.window_months($window_start, $window_end, $reporting_timezone)
),

reasons as (
    select reason from (values ('erasure'), ('retention')) as reasons(reason)
),

log as (
    select
        run_id,
        request_id,
        reason,
        table_name,
        rows_removed,
        values_emptied,
        executed_at,
    from ingest.erasure_log
    where executed_at >= $window_start
        and executed_at < $window_end
),

executed as (
    select
        months.period_month,
        log.reason,
        count(distinct log.request_id) as requests,
        count(distinct log.run_id) as runs,
        count(distinct log.table_name) filter (
            where log.rows_removed > 0 or log.values_emptied > 0
        ) as tables_touched,
        sum(log.rows_removed)::bigint as rows_removed,
        sum(log.values_emptied)::bigint as values_emptied,
        string_agg(distinct log.request_id, ', ' order by log.request_id) as request_ids,
        max(log.executed_at) as last_executed_at,
    from log
    inner join months
        on log.executed_at >= months.starts_at
        and log.executed_at < months.ends_at
    group by months.period_month, log.reason
)

select
    months.period_month,
    reasons.reason,
    coalesce(executed.requests, 0) as requests,
    coalesce(executed.runs, 0) as runs,
    coalesce(executed.tables_touched, 0) as tables_touched,
    coalesce(executed.rows_removed, 0) as rows_removed,
    coalesce(executed.values_emptied, 0) as values_emptied,
    coalesce(executed.request_ids, 'none executed') as request_ids,
    executed.last_executed_at,
from months
cross join reasons
left join executed
    on months.period_month = executed.period_month
    and reasons.reason = executed.reason
