-- Grain: one row per user and calendar day (reporting timezone) with at least one qualifying event.
-- The activity base of DAU/WAU/MAU, cohort retention, adoption and churn risk (metrics.md, Growth):
-- events before the user's signup, and events of users unknown to raw.users, are not counted.
with
users as (
    select
        user_id,
        signup_at,
        -- cut the signup day in the reporting timezone
        (signup_at at time zone $reporting_timezone)::date as signup_date,
    from raw.users
),

window_events as (
    select
        user_id,
        occurred_at,
    from raw.events
    where occurred_at >= $window_start
        and occurred_at < $window_end
),

qualifying_events as (
    select
        window_events.user_id,
        users.signup_date,
        -- cut the activity day in the reporting timezone
        (window_events.occurred_at at time zone $reporting_timezone)::date as activity_date,
    from window_events
    inner join users on window_events.user_id = users.user_id
    where window_events.occurred_at >= users.signup_at
)

select
    activity_date,
    user_id,
    signup_date,
    activity_date - signup_date as day_number,
    count(*) as events,
from qualifying_events
group by activity_date, user_id, signup_date
order by activity_date, user_id
