-- Shared steps of the support queries, as DuckDB macros (run before the domain's queries). A
-- macro sees no bound parameters (the day, timezone and target come in as arguments), and these
-- read no table: every support query creates them, before the tables they would read exist.

-- The end of a calendar day in the reporting timezone (the instant its next day starts).
create or replace macro support.day_end(day, reporting_timezone) as
    (day::date + 1)::timestamp at time zone reporting_timezone;

-- Whether a ticket is open at the instant `moment`: created before it and not resolved by then.
create or replace macro support.open_at(created_at, resolved_at, moment) as
    created_at < moment and (resolved_at is null or resolved_at >= moment);

-- Whether a ticket has no first agent response at the instant `moment` (bot replies do not
-- count).
create or replace macro support.unanswered_at(first_agent_response_at, moment) as
    (first_agent_response_at is null or first_agent_response_at >= moment);

-- Whether an open ticket unanswered at `moment` has waited past the first-response target by then.
create or replace macro support.past_target_at(
    created_at, first_agent_response_at, moment, hours
) as
    support.unanswered_at(first_agent_response_at, moment)
    and moment - created_at > to_hours(hours);
