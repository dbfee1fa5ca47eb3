-- Grain: one row per open incident, the most severe and the oldest first.
select
    incident_id,
    severity,
    service_id,
    round(age_minutes / 60, 1) as age_hours,
    target_status,
from reliability.open_incidents
order by severity, age_hours desc
