-- Grain: one row per support ticket. Implements support first response time (first human agent
-- reply - first creation, calendar hours; bot replies are not in the column) and resolution time
-- (last resolution - first creation, so a reopened ticket counts from its first creation).
-- One input, no steps: the columns are selected once, from raw.support_tickets itself.
select
    ticket_id,
    -- cut calendar days in the reporting timezone
    (created_at at time zone $reporting_timezone)::date as created_date,
    (resolved_at at time zone $reporting_timezone)::date as resolved_date,
    created_at,
    priority,
    category,
    first_agent_response_at,
    resolved_at,
    reopened_count,
    satisfaction_score,
    date_diff('second', created_at, first_agent_response_at) / 3600.0 as first_response_hours,
    case
        when first_agent_response_at is not null
            then first_agent_response_at - created_at <= to_hours($support_first_response_hours)
        when resolved_at is null
            and get_current_timestamp() - created_at > to_hours($support_first_response_hours)
            then false
    end as first_response_within_target,
    date_diff('second', created_at, resolved_at) / 3600.0 as resolution_hours,
from raw.support_tickets
order by created_at, ticket_id
