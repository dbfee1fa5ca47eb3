-- Grain: one row per data-subject request open at the end of $as_of (reporting timezone), the
-- earliest deadline first: its deadline (30 days from receipt; 90 when the requester was told of
-- the extension within the first 30) and the days left after $as_of (negative: overdue).
with
day_end as (
    select
        ($as_of::date + 1)::timestamp at time zone $reporting_timezone as ends_at,
),

requests as (
    select
        data_subject_requests.request_id,
        data_subject_requests.request_type,
        data_subject_requests.received_at,
        data_subject_requests.extension_notified_at
        <= data_subject_requests.received_at + interval 30 day as extended,
        data_subject_requests.received_at + if(extended, interval 90 day, interval 30 day)
            as due_at,
    from raw.data_subject_requests
    cross join day_end
    where data_subject_requests.received_at < day_end.ends_at
        and (
            data_subject_requests.closed_at is null
            or data_subject_requests.closed_at >= day_end.ends_at
        )
)

select
    request_id,
    request_type,
    received_at::date as received_on,
    coalesce(extended, false) as extended,
    due_at::date as due_on,
    date_diff('day', $as_of::date, due_at::date) as days_left,
from requests
order by due_at, request_id
