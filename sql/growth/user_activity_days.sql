-- Grain: one row per user and calendar day (reporting timezone) with at least one qualifying event.
-- The activity base of DAU/WAU/MAU, cohort retention, adoption and churn risk (metrics.md, Growth):
-- events before the user's signup, and events of users unknown to raw.users, are not counted.
with
qualifying_events as (
    select
        user_id,
        signup_date,
        activity_date,
    from growth.qualifying_events($window_start, $window_end, $reporting_timezone)
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
