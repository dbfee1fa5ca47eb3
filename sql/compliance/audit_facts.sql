-- Grain: one row per calendar month (reporting timezone) of the window, audit-readiness control
-- and record evaluated that month, with whether it passed and why (metrics.md, Compliance):
-- training_completion: assignments due that month, passing when completed by their due day;
-- policy_acknowledgement: each staff member active at the month's end and each policy version
--   current then that needs acknowledging, passing when acknowledged by then; joiners and new
--   versions have new_hire_grace_days (compliance.controls) before they count;
-- documentation_currency: each controlled document's version current at the month's end,
--   passing when reviewed (or issued) within review_months before it;
-- evidence_collection: each control (compliance.controls), passing when the evidence for the month
--   before was collected by the month's end (a period's evidence is gathered after it closes).
with
months as (
    select
        period_month,
        next_month,
        starts_at,
        ends_at,
    from compliance.window_months($window_start, $window_end, $reporting_timezone)
),

limits as (
    select
        max(new_hire_grace_days) as grace_days,
        max(review_months) as review_months,
    from compliance.controls
),

training as (
    select
        months.period_month,
        'training_completion' as control_id,
        assignments.assignment_id as record_id,
        coalesce(
            (assignments.completed_at at time zone $reporting_timezone)::date <= assignments.due_on,
            false
        ) as passed,
        assignments.course || ' for ' || assignments.staff_id || ' due '
        || assignments.due_on::varchar || ': '
        || case
            when assignments.completed_at is null then 'not completed'
            when passed then 'completed on time'
            else 'completed late'
        end as reason,
    from raw.training_assignments as assignments
    inner join months
        on assignments.due_on >= months.period_month
        and assignments.due_on < months.next_month
),

current_versions as (
    select
        months.period_month,
        months.next_month,
        months.ends_at,
        documents.document_id,
        documents.version,
        documents.title,
        documents.effective_on,
        documents.last_reviewed_on,
        documents.requires_acknowledgement,
    from raw.controlled_documents as documents
    inner join months on documents.effective_on < months.next_month
    qualify row_number() over (
        partition by months.period_month, documents.document_id order by documents.version desc
    ) = 1
),

acknowledgements as (
    select
        current_versions.period_month,
        'policy_acknowledgement' as control_id,
        staff.staff_id || '/' || current_versions.document_id || '/v'
        || current_versions.version::varchar as record_id,
        count(acks.acknowledged_at) > 0 as passed,
        if(passed, 'acknowledged', 'not acknowledged') || ' (' || current_versions.title || ')'
            as reason,
    from current_versions
    cross join limits
    inner join raw.staff as staff
        on staff.hired_on < current_versions.next_month - limits.grace_days
        and (staff.left_on is null or staff.left_on >= current_versions.next_month)
    left join raw.policy_acknowledgements as acks
        on staff.staff_id = acks.staff_id
        and current_versions.document_id = acks.document_id
        and current_versions.version = acks.version
        and acks.acknowledged_at < current_versions.ends_at
    where current_versions.requires_acknowledgement
        and current_versions.effective_on < current_versions.next_month - limits.grace_days
    group by
        current_versions.period_month,
        staff.staff_id,
        current_versions.document_id,
        current_versions.version,
        current_versions.title
),

reviews as (
    select
        current_versions.period_month,
        'documentation_currency' as control_id,
        current_versions.document_id as record_id,
        -- a review after the month's end is not known at it; issuing a version reviews it
        greatest(
            current_versions.effective_on,
            if(current_versions.last_reviewed_on < current_versions.next_month,
                current_versions.last_reviewed_on, null)
        ) as reviewed_on,
        reviewed_on >= current_versions.next_month - to_months(limits.review_months) as passed,
        current_versions.title || ' v' || current_versions.version::varchar || ' last reviewed '
        || reviewed_on::varchar as reason,
    from current_versions
    cross join limits
),

evidence as (
    select
        months.period_month,
        'evidence_collection' as control_id,
        controls.control_id as record_id,
        count(collected.evidence_id) > 0 as passed,
        if(passed, count(collected.evidence_id)::varchar || ' pieces of evidence', 'no evidence')
        || ' for ' || strftime(months.period_month - interval 1 month, '%Y-%m')
            as reason,
    from months
    cross join compliance.controls as controls
    left join raw.control_evidence as collected
        on controls.control_id = collected.control_id
        -- a period's evidence is gathered after it closes: the month before is due by this one's end
        and collected.period_month = (months.period_month - interval 1 month)::date
        and collected.collected_at < months.ends_at
    -- no evidence is owed for a period before the first one collected (before the records begin)
    where months.period_month > (select min(period_month) from raw.control_evidence)
    group by months.period_month, controls.control_id
)

select * from training
union all by name
select * from acknowledgements
union all by name
select * exclude (reviewed_on) from reviews
union all by name
select * from evidence
