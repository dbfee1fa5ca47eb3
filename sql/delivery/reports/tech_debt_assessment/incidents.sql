-- Grain: one row per service with an incident detected in the calendar quarter holding the
-- as-of day (its first day to the as-of day) or in the whole quarter before (detection day,
-- reporting timezone, reliability.incidents), the busiest first: incidents by severity this
-- quarter, the deploy-caused ones (a causing deployment named in the export), and both counts
-- the quarter before.
with
bounds as (
    select
        date_trunc('quarter', $as_of::date)::date as quarter_start,
        (date_trunc('quarter', $as_of::date) - interval 3 month)::date as previous_start,
),

quarter_incidents as (
    select
        incidents.service_id,
        incidents.severity,
        incidents.detected_date >= bounds.quarter_start as in_quarter,
        incidents.caused_by_deployment_id is not null as deploy_caused,
    from reliability.incidents as incidents
    cross join bounds
    where incidents.detected_date >= bounds.previous_start
        and incidents.detected_date <= $as_of::date
)

select
    service_id,
    count(*) filter (where in_quarter) as incidents,
    count(*) filter (where in_quarter and severity = 'P0') as p0,
    count(*) filter (where in_quarter and severity = 'P1') as p1,
    count(*) filter (where in_quarter and severity = 'P2') as p2,
    count(*) filter (where in_quarter and severity = 'P3') as p3,
    count(*) filter (where in_quarter and deploy_caused) as deploy_caused,
    count(*) filter (where not in_quarter) as previous_incidents,
    count(*) filter (where not in_quarter and deploy_caused) as previous_deploy_caused,
from quarter_incidents
group by service_id
order by incidents desc, previous_incidents desc, service_id
