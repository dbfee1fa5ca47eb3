-- Grain: one row per calendar month (reporting timezone) of the window, security control and
-- record evaluated that month, with whether it passed and why (metrics.md, Compliance):
-- vulnerability_remediation: findings whose severity's SLA (compliance.controls) ended that
--   month, passing when remediated within it;
-- patch_status: each host's last patch snapshot of the month, passing on a supported level;
-- access_reviews: reviews due that month, passing when completed by the end of their due day.
with
months as (
    select
        period_month,
        next_month,
        starts_at,
        ends_at,
    from compliance.window_months($window_start, $window_end, $reporting_timezone)
),

sla as (
    select
        finding_severity,
        days,
    from compliance.controls
    unpivot (
        days for finding_severity in (
            sla_critical_days as 'critical',
            sla_high_days as 'high',
            sla_medium_days as 'medium',
            sla_low_days as 'low'
        )
    )
    where control_id = 'vulnerability_remediation'
),

findings as (
    select
        findings.finding_id,
        findings.severity,
        findings.detected_at,
        findings.remediated_at,
        sla.days as sla_days,
        findings.detected_at + to_days(sla.days::int) as due_at,
    from raw.vulnerability_findings as findings
    inner join sla on findings.severity = sla.finding_severity
),

vulnerabilities as (
    select
        months.period_month,
        'vulnerability_remediation' as control_id,
        findings.finding_id as record_id,
        coalesce(findings.remediated_at <= findings.due_at, false) as passed,
        findings.severity || ' (' || findings.sla_days::varchar || '-day SLA): '
        || case
            when findings.remediated_at is null then 'still open at its SLA'
            when passed then 'remediated within its SLA'
            else 'remediated after its SLA'
        end as reason,
    from findings
    inner join months
        on findings.due_at >= months.starts_at
        and findings.due_at < months.ends_at
),

snapshots as (
    select
        months.period_month,
        levels.host_id,
        levels.patch_level,
        levels.supported,
        levels.snapshot_date,
    from raw.host_patch_levels as levels
    inner join months
        on levels.snapshot_date >= months.period_month
        and levels.snapshot_date < months.next_month
    qualify row_number() over (
        partition by months.period_month, levels.host_id order by levels.snapshot_date desc
    ) = 1
),

patches as (
    select
        period_month,
        'patch_status' as control_id,
        host_id as record_id,
        supported as passed,
        'patch level ' || patch_level || if(supported, ' supported', ' no longer supported')
        || ' on ' || snapshot_date::varchar as reason,
    from snapshots
),

reviews as (
    select
        months.period_month,
        'access_reviews' as control_id,
        reviews.review_id as record_id,
        coalesce(
            (reviews.completed_at at time zone $reporting_timezone)::date <= reviews.due_on, false
        ) as passed,
        reviews.system || ' due ' || reviews.due_on::varchar || ': '
        || case
            when reviews.completed_at is null then 'not done'
            when passed then 'done on time'
            else 'done late'
        end as reason,
    from raw.access_reviews as reviews
    inner join months
        on reviews.due_on >= months.period_month
        and reviews.due_on < months.next_month
)

select * from vulnerabilities
union all by name
select * from patches
union all by name
select * from reviews
