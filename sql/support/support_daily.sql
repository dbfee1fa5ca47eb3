-- Grain: one row per calendar day (reporting timezone) in the window; days without tickets as 0.
-- Implements the daily ticket summary (metrics.md, Support): new tickets, first response within
-- the target, resolutions, satisfaction, and a spike flag against the trailing baseline.
with
tickets as (
    select
        ticket_id,
        created_at,
        category,
        first_agent_response_at,
        first_response_hours,
        first_response_within_target,
        resolved_at,
        resolution_hours,
        satisfaction_score,
    from support.ticket_facts
    -- looks back the spike baseline's days before the window: the trailing mean needs them
    where (
        created_at >= $window_start - to_days($support_spike_baseline_days)
        and created_at < $window_end
    ) or (
        resolved_at >= $window_start
        and resolved_at < $window_end
    )
),

calendar as (
    select
        day::date as summary_date,
    from generate_series(
        ($window_start at time zone $reporting_timezone)::date
            - $support_spike_baseline_days::int,
        ($window_end at time zone $reporting_timezone)::date - 1,
        interval 1 day
    ) as days(day)
),

created as (
    select
        -- cut the calendar day in the reporting timezone
        (created_at at time zone $reporting_timezone)::date as summary_date,
        count(*) as tickets_created,
        count(*) filter (where category = 'outage') as outage_tickets,
        count(first_agent_response_at) as first_responses,
        count(*) filter (where first_response_within_target) as first_responses_within_target,
        count(first_response_within_target) as first_response_decided,
        median(first_response_hours) as first_response_median_hours,
    from tickets
    group by all
),

resolved as (
    select
        -- cut the calendar day in the reporting timezone
        (resolved_at at time zone $reporting_timezone)::date as summary_date,
        count(*) as tickets_resolved,
        median(resolution_hours) as resolution_median_hours,
        count(satisfaction_score) as satisfaction_responses,
        avg(satisfaction_score) as satisfaction_mean,
        count(*) filter (where satisfaction_score >= 4) as satisfied_responses,
    from tickets
    where resolved_at is not null
    group by all
),

daily as (
    select
        calendar.summary_date,
        coalesce(created.tickets_created, 0) as tickets_created,
        coalesce(created.outage_tickets, 0) as outage_tickets,
        coalesce(created.first_responses, 0) as first_responses,
        created.first_responses_within_target,
        created.first_response_decided,
        created.first_response_median_hours,
        coalesce(resolved.tickets_resolved, 0) as tickets_resolved,
        resolved.resolution_median_hours,
        coalesce(resolved.satisfaction_responses, 0) as satisfaction_responses,
        resolved.satisfaction_mean,
        resolved.satisfied_responses,
    from calendar
    left join created on calendar.summary_date = created.summary_date
    left join resolved on calendar.summary_date = resolved.summary_date
),

with_baseline as (
    select
        *,
        avg(tickets_created) over baseline_window as baseline_mean,
        stddev_samp(tickets_created) over baseline_window as baseline_stddev,
        count(*) over baseline_window as baseline_days,
    from daily
    window baseline_window as (
        order by summary_date
        rows between $support_spike_baseline_days::int preceding and 1 preceding
    )
)

select
    summary_date,
    tickets_created,
    outage_tickets,
    first_responses,
    100.0 * first_responses_within_target
        / nullif(first_response_decided, 0) as first_response_within_target_pct,
    first_response_median_hours,
    tickets_resolved,
    resolution_median_hours,
    satisfaction_responses,
    satisfaction_mean,
    100.0 * satisfied_responses / nullif(satisfaction_responses, 0) as csat_pct,
    baseline_mean,
    coalesce(
        baseline_days = $support_spike_baseline_days
        and tickets_created >= $support_spike_min_tickets
        and tickets_created > baseline_mean + $support_spike_sigma * baseline_stddev,
        false
    ) as is_spike,
from with_baseline
-- the baseline days before the window were only needed for the trailing mean
where summary_date >= ($window_start at time zone $reporting_timezone)::date
order by summary_date
