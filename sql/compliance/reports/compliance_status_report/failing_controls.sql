-- Grain: one row per control failing in the month holding $as_of, the error-severity ones
-- first: its owner, rate against its threshold, and the failing records' ids (the first 20) as
-- evidence; every failing record is in the area's facts table.
with
latest as (
    select
        *,
    from compliance.control_results
    where period_month = date_trunc('month', $as_of::date)
        and status = 'fail'
),

facts as (
    select period_month, control_id, record_id, passed,
    from compliance.privacy_facts
    union all
    select period_month, control_id, record_id, passed,
    from compliance.security_facts
    union all
    select period_month, control_id, record_id, passed,
    from compliance.audit_facts
    union all
    select period_month, control_id, record_id, passed,
    from compliance.regulatory_facts
),

failing as (
    select
        facts.control_id,
        facts.record_id,
    from facts
    inner join latest
        on facts.period_month = latest.period_month
        and facts.control_id = latest.control_id
    where not facts.passed
    qualify row_number() over (partition by facts.control_id order by facts.record_id) <= 20
),

evidence as (
    select
        control_id,
        string_agg(record_id, ', ' order by record_id) as failing_record_ids,
    from failing
    group by control_id
)

select
    latest.control_id,
    latest.area,
    latest.owner,
    latest.severity,
    latest.evaluated,
    latest.failing,
    latest.rate_pct,
    coalesce(latest.threshold_pct::varchar || ' %', 'at most ' || latest.max_count::varchar)
        as threshold,
    evidence.failing_record_ids,
from latest
left join evidence on latest.control_id = evidence.control_id
order by latest.severity, latest.area, latest.control_id
