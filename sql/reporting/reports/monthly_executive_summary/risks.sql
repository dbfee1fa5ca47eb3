-- Grain: one row per risk on the as-of day, by kind: success metrics missed (with their
-- owners), compliance controls failing in the month (compliance.control_results), P0/P1
-- incidents open at the as-of day, and cost categories over budget by more than
-- $reporting_budget_overrun_pct percent (revenue.budget_variance). A kind with nothing to show
-- has one row saying so, naming the data that is missing when there is none.
with
bounds as (
    select * from reporting.month_bounds($as_of)
),

missed_metrics as (
    select
        1 as position,
        playbook.position as rank,
        playbook.name as item,
        'value ' || format('{:,.2f}', scorecard.value) || ' ' || playbook.unit || ', target '
        || playbook.target_text as detail,
        scorecard.owner,
    from reporting.scorecard
    inner join playbook_success_metrics as playbook using (metric)
    where scorecard.as_of = $as_of and scorecard.status = 'missed'
),

failing_controls as (
    select
        2 as position,
        row_number() over (order by control_results.control_id) as rank,
        control_results.name as item,
        control_results.area || ', ' || control_results.severity || ': ' || control_results.failing
        || ' of ' || control_results.evaluated || ' records failing' as detail,
        control_results.owner,
    from compliance.control_results
    inner join bounds on control_results.period_month = bounds.month_start
    where control_results.status = 'fail'
),

open_incidents as (
    select
        3 as position,
        row_number() over (order by incidents.severity, incidents.detected_at) as rank,
        incidents.incident_id || ': ' || incidents.title as item,
        incidents.severity || ' on ' || incidents.service_id || ', open '
        || ($as_of - incidents.detected_date) || ' days' as detail,
        null as owner,
    from reliability.incidents
    where incidents.severity in ('P0', 'P1')
        and incidents.detected_date <= $as_of
        and coalesce(incidents.resolved_date > $as_of, true)
),

over_budget as (
    select
        4 as position,
        row_number() over (order by budget_variance.variance_pct desc) as rank,
        budget_variance.category as item,
        'actual ' || format('{:,.2f}', budget_variance.actual) || ' against budget '
        || format('{:,.2f}', budget_variance.budget)
        || ' (+' || format('{:.1f}', budget_variance.variance_pct) || ' %)' as detail,
        null as owner,
    from revenue.budget_variance
    inner join bounds on budget_variance.month = bounds.month_start
    where budget_variance.variance_pct > $reporting_budget_overrun_pct::double
),

kinds as (
    select
        position,
        kind,
        when_none,
    from (
        values
            (1, 'Missed metric', 'none missed'),
            (2, 'Failing control', 'none failing'),
            (3, 'Open P0/P1 incident', 'none open'),
            (4, 'Over budget', 'no category over budget by more than the threshold')
    ) as listed(position, kind, when_none)
),

-- what "none" would misstate: no scorecard, control results or budget for the month at all
loaded as (
    select 1 as position, count(*) > 0 as has_rows, 'no scorecard for the day' as when_missing,
    from reporting.scorecard where as_of = $as_of
    union all
    select 2, count(*) > 0, 'no control results for the month',
    from compliance.control_results inner join bounds on period_month = month_start
    union all
    select 3, true, '', from bounds
    union all
    select 4, count(*) > 0, 'no budget for the month',
    from revenue.budget_variance inner join bounds on month = month_start
),

risks as (
    select * from missed_metrics
    union all select * from failing_controls
    union all select * from open_incidents
    union all select * from over_budget
)

select
    kinds.kind,
    coalesce(risks.item, case when loaded.has_rows then kinds.when_none else loaded.when_missing end)
        as item,
    risks.detail,
    risks.owner,
from kinds
inner join loaded using (position)
left join risks using (position)
order by kinds.position, risks.rank
