-- Grain: one row per priority among the tickets open at the end of $as_of (reporting timezone):
-- those without a first agent response by then, and of those the ones waiting past the target.
select
    priority,
    count(*) as open_tickets,
    count(*) filter (
        where support.unanswered_at(
            first_agent_response_at, support.day_end($as_of, $reporting_timezone)
        )
    ) as awaiting_first_response,
    count(*) filter (
        where support.past_target_at(
            created_at,
            first_agent_response_at,
            support.day_end($as_of, $reporting_timezone),
            $support_first_response_hours
        )
    ) as past_first_response_target,
from support.ticket_facts
where support.open_at(created_at, resolved_at, support.day_end($as_of, $reporting_timezone))
group by priority
order by priority
