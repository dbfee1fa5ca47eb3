-- Grain: one row per calendar day (reporting timezone) and acquisition channel with signups.
-- Implements acquisition by channel (metrics.md, Growth): first-touch channel at signup.
with
window_users as (
    select
        user_id,
        acquisition_channel,
        signup_at,
    from raw.users
    where signup_at >= $window_start
        and signup_at < $window_end
)

select
    -- cut the calendar day in the reporting timezone
    (signup_at at time zone $reporting_timezone)::date as signup_date,
    acquisition_channel,
    count(*) as signups,
from window_users
group by all
order by signup_date, acquisition_channel
