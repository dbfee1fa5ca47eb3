-- Grain: one row per data-subject request still open, the earliest deadline first: its deadline
-- (30 days from receipt; 90 when the requester was told of the extension within the first 30)
-- and the days left after the latest request received or closed (negative: overdue).
with
requests as (
    select
        request_id,
        request_type,
        received_at,
        extension_notified_at <= received_at + interval 30 day as extended,
        received_at + if(extended, interval 90 day, interval 30 day) as due_at,
    from raw.data_subject_requests
    where closed_at is null
)

select
    request_id,
    request_type,
    received_at::date as received_on,
    coalesce(extended, false) as extended,
    due_at::date as due_on,
    date_diff(
        'day',
        (select max(coalesce(closed_at, received_at)) from raw.data_subject_requests),
        due_at
    )
        as days_left,
from requests
order by due_at, request_id
