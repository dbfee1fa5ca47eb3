-- Grain: one row per priority among unresolved tickets.
select
    priority,
    count(*) as open_tickets,
    count(*) filter (where first_agent_response_at is null) as awaiting_first_response,
    count(*) filter (
        where first_response_within_target = false and first_agent_response_at is null
    ) as past_first_response_target,
from support.ticket_facts
where resolved_at is null
group by priority
order by priority
