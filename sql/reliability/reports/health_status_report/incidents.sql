-- Grain: one row per month and severity, for the latest month and the one before.
select
    strftime(month, '%Y-%m') as month,
    severity,
    incidents_detected,
    still_open,
    mtta_minutes,
    mttr_minutes,
    mttr_median_minutes,
    response_compliance_pct,
    postmortem_completion_pct,
from reliability.incident_summary_monthly
where month >= (select max(month) from reliability.incident_summary_monthly) - interval 1 month
order by month desc, severity
