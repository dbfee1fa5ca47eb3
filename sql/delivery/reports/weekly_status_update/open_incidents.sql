-- Grain: one row per incident open at the end of the as-of day (reliability.incidents), the most
-- severe and then the oldest first, its age in whole days since the day it was detected; none is
-- one row saying so.
select
    incident_id,
    severity,
    service_id,
    title,
    detected_date,
    $as_of::date - detected_date as age_days,
from reliability.incidents
where delivery.open_on(detected_date, resolved_date, $as_of)
union all
select
    null,
    null,
    null,
    'no incident open',
    null,
    null,
where not exists (
    select 1 from reliability.incidents where delivery.open_on(detected_date, resolved_date, $as_of)
)
order by severity, age_days desc, incident_id
