-- Grain: one row per ticket open at the end of $as_of (reporting timezone) and still without a
-- first agent response past the target by then, the longest waiting first.
select
    ticket_id,
    priority,
    category,
    created_at,
    round(
        date_diff('second', created_at, support.day_end($as_of, $reporting_timezone)) / 3600.0, 1
    ) as hours_waiting,
from support.ticket_facts
where support.open_at(created_at, resolved_at, support.day_end($as_of, $reporting_timezone))
    and support.past_target_at(
        created_at,
        first_agent_response_at,
        support.day_end($as_of, $reporting_timezone),
        $support_first_response_hours
    )
order by created_at, ticket_id
