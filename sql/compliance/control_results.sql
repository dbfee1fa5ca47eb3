-- Grain: one row per calendar month (reporting timezone) of the window and control of
-- compliance.controls (metrics.md, Compliance): records evaluated and passing in the month's
-- facts, the rate, and the status: a rate control passes when its rate meets threshold_pct, a
-- count control when its failing records are at most max_count; a control with nothing to
-- evaluate that month is 'not evaluated' (it counts in no adherence).
with
months as (
    select
        period_month,
    from compliance.window_months($window_start, $window_end, $reporting_timezone)
),

facts as (
    select period_month, control_id, passed,
    from compliance.privacy_facts
    union all
    select period_month, control_id, passed,
    from compliance.security_facts
    union all
    select period_month, control_id, passed,
    from compliance.audit_facts
    union all
    select period_month, control_id, passed,
    from compliance.regulatory_facts
),

tallies as (
    select
        period_month,
        control_id,
        count(*) as evaluated,
        count(*) filter (where passed) as passing,
    from facts
    where period_month in (select period_month from months)
    group by all
),

evidence as (
    select
        date_trunc('month', collected_at at time zone $reporting_timezone)::date as period_month,
        control_id,
        count(*) as evidence_count,
    from raw.control_evidence
    where collected_at >= $window_start
        and collected_at < $window_end
    group by all
),

results as (
    select
        months.period_month,
        controls.control_id,
        controls.area,
        controls.name,
        controls.owner,
        controls.severity,
        coalesce(tallies.evaluated, 0) as evaluated,
        coalesce(tallies.passing, 0) as passing,
        coalesce(tallies.evaluated, 0) - coalesce(tallies.passing, 0) as failing,
        100.0 * tallies.passing / nullif(tallies.evaluated, 0) as rate_pct,
        controls.threshold_pct,
        controls.max_count,
        coalesce(evidence.evidence_count, 0) as evidence_count,
    from months
    cross join compliance.controls as controls
    left join tallies
        on months.period_month = tallies.period_month
        and controls.control_id = tallies.control_id
    left join evidence
        on months.period_month = evidence.period_month
        and controls.control_id = evidence.control_id
)

select
    *,
    case
        when evaluated = 0 then 'not evaluated'
        when max_count is not null and failing <= max_count then 'pass'
        when max_count is null and rate_pct >= threshold_pct then 'pass'
        else 'fail'
    end as status,
from results
