-- Grain: one row per user active in the growth_churn_active_days days up to $scored_on (a DATE).
-- Implements the churn-risk score (metrics.md, Growth): days since last seen, recent activity
-- against the user's own baseline, open support tickets and NPS detractor status, into 0-100.
with
activity as (
    select
        user_id,
        activity_date,
    from growth.user_activity_days
    -- looks back the recent plus the baseline window (and at least the active window)
    where activity_date <= $scored_on
        and activity_date > $scored_on - greatest(
            $growth_churn_recent_days + $growth_churn_baseline_days, $growth_churn_active_days
        )
),

day_end as (
    -- the end of the scored day in the reporting timezone, as an instant
    select
        timezone($reporting_timezone, ($scored_on + 1)::timestamp) as scored_until,
),

user_activity as (
    select
        user_id,
        $scored_on - max(activity_date) as days_since_last_seen,
        count(*) filter (
            where activity_date > $scored_on - $growth_churn_recent_days
        ) as recent_active_days,
        count(*) filter (
            where activity_date <= $scored_on - $growth_churn_recent_days
                and activity_date > $scored_on
                    - ($growth_churn_recent_days + $growth_churn_baseline_days)
        ) as baseline_active_days,
    from activity
    group by user_id
    having max(activity_date) > $scored_on - $growth_churn_active_days
),

open_tickets as (
    select
        support_tickets.user_id,
        count(*) as open_tickets,
    from raw.support_tickets
    cross join day_end
    where support_tickets.created_at < day_end.scored_until
        and (
            support_tickets.resolved_at is null
            or support_tickets.resolved_at >= day_end.scored_until
        )
    group by support_tickets.user_id
),

latest_nps as (
    select
        nps_responses.user_id,
        arg_max(nps_responses.score, nps_responses.responded_at) as score,
    from raw.nps_responses
    cross join day_end
    where nps_responses.responded_at < day_end.scored_until
    group by nps_responses.user_id
),

components as (
    select
        user_activity.user_id,
        user_activity.days_since_last_seen,
        user_activity.recent_active_days,
        user_activity.baseline_active_days,
        coalesce(open_tickets.open_tickets, 0) as open_tickets,
        coalesce(latest_nps.score <= 6, false) as is_detractor,
        least(1.0 * user_activity.days_since_last_seen / $growth_churn_active_days, 1.0)
            as recency_component,
        -- the recent window's active days against the baseline's rate over as many days
        coalesce(greatest(
            1.0 - user_activity.recent_active_days / nullif(
                user_activity.baseline_active_days * $growth_churn_recent_days
                    / $growth_churn_baseline_days,
                0
            ),
            0.0
        ), 0.0) as activity_drop_component,
    from user_activity
    left join open_tickets on open_tickets.user_id = user_activity.user_id
    left join latest_nps on latest_nps.user_id = user_activity.user_id
),

scored as (
    select
        *,
        round(100 * (
            $growth_churn_weight_recency * recency_component
            + $growth_churn_weight_activity_drop * activity_drop_component
            + $growth_churn_weight_open_ticket * (open_tickets > 0)::integer
            + $growth_churn_weight_detractor * is_detractor::integer
        ), 2) as risk_score,
    from components
)

select
    $scored_on::date as scored_on,
    user_id,
    days_since_last_seen,
    recent_active_days,
    baseline_active_days,
    open_tickets,
    is_detractor,
    risk_score,
    case
        when risk_score >= $growth_churn_high_score then 'high'
        when risk_score >= $growth_churn_medium_score then 'medium'
        else 'low'
    end as risk_bucket,
from scored
order by user_id
