-- Grain: one row per calendar month (reporting timezone) of the window, privacy control and
-- record evaluated that month, with whether it passed and why (metrics.md, Compliance):
-- dsr_timeliness: requests whose deadline fell that month (30 days from receipt; 90 when the
--   requester was told of the extension within the first 30), passing when closed by it;
-- consent_coverage: users' processing for a purpose last done that month, covered by a consent
--   granted before and not withdrawn before it;
-- data_retention: each system's holding of a data category on each snapshot day of the month,
--   failing when its oldest record is older than the category's retention period;
-- cross_border_transfers: each restricted transfer under way on any day of the month, passing
--   when a safeguard (adequacy decision, SCCs, BCRs, a derogation) is recorded for it.
with
months as (
    select
        period_month,
        next_month,
        starts_at,
        ends_at,
    from compliance.window_months($window_start, $window_end, $reporting_timezone)
),

requests as (
    select
        request_id,
        received_at,
        closed_at,
        extension_notified_at,
        case
            when extension_notified_at <= received_at + interval 30 day
                then received_at + interval 90 day
            else received_at + interval 30 day
        end as due_at,
    from raw.data_subject_requests
),

dsr as (
    select
        months.period_month,
        'dsr_timeliness' as control_id,
        requests.request_id as record_id,
        coalesce(requests.closed_at <= requests.due_at, false) as passed,
        case
            when requests.closed_at is null then 'still open at its deadline'
            when requests.closed_at > requests.due_at
                then 'closed after its deadline'
                || if(requests.extension_notified_at is null, ' (no extension)', ' (extended)')
            else 'closed within its deadline'
        end as reason,
    from requests
    inner join months
        on requests.due_at >= months.starts_at
        and requests.due_at < months.ends_at
),

processing as (
    select
        user_id,
        purpose,
        last_processed_at,
    from raw.processing_activities
),

consents as (
    select
        user_id,
        purpose,
        granted_at,
        withdrawn_at,
    from raw.consents
),

consent as (
    select
        months.period_month,
        'consent_coverage' as control_id,
        processing.user_id::varchar || '/' || processing.purpose as record_id,
        bool_or(
            consents.granted_at <= processing.last_processed_at
            and (consents.withdrawn_at is null or consents.withdrawn_at > processing.last_processed_at)
        ) is true as passed,
        case
            when count(consents.granted_at) = 0 then 'processed without any consent'
            when passed then 'covered by a current consent'
            else 'processed after the consent was withdrawn or before it was granted'
        end as reason,
    from processing
    inner join months
        on processing.last_processed_at >= months.starts_at
        and processing.last_processed_at < months.ends_at
    left join consents
        on processing.user_id = consents.user_id
        and processing.purpose = consents.purpose
    group by months.period_month, processing.user_id, processing.purpose
),

retention as (
    select
        months.period_month,
        'data_retention' as control_id,
        inventory.system || '/' || inventory.data_category || '/' || inventory.snapshot_date::varchar
            as record_id,
        -- a record older than the period by a whole day, so a purge run's timing is no breach
        coalesce(
            inventory.oldest_record_at >= (inventory.snapshot_date - policies.retention_days)::timestamp
            at time zone $reporting_timezone,
            true
        ) as passed,
        if(
            passed,
            'within retention',
            'oldest record ' || (inventory.oldest_record_at at time zone $reporting_timezone)::date::varchar
            || ' is past the ' || policies.retention_days::varchar || '-day retention period'
        ) as reason,
    from raw.data_inventory as inventory
    inner join raw.retention_policies as policies
        on inventory.data_category = policies.data_category
    inner join months
        on inventory.snapshot_date >= months.period_month
        and inventory.snapshot_date < months.next_month
),

transfers as (
    select
        months.period_month,
        'cross_border_transfers' as control_id,
        transfers.transfer_id as record_id,
        coalesce(transfers.safeguard <> 'none', false) as passed,
        transfers.recipient || ' (' || transfers.destination_country || ', '
        || transfers.data_category || '): '
        || if(passed, 'under ' || transfers.safeguard, 'no safeguard recorded') as reason,
    from raw.data_transfers as transfers
    inner join months
        on transfers.started_on < months.next_month
        and (transfers.ended_on is null or transfers.ended_on >= months.period_month)
)

select * from dsr
union all by name
select * from consent
union all by name
select * from retention
union all by name
select * from transfers
