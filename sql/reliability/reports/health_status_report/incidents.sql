-- Grain: one row per month and severity, for the month holding $as_of and the one before.
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
where month between date_trunc('month', $as_of::date) - interval 1 month
    and date_trunc('month', $as_of::date)
order by month desc, severity
