-- Grain: one row per period ($grain: 'week' = ISO week from Monday, or 'month'; reporting
-- timezone; period_start is its first day) and feature.
-- Implements feature adoption (metrics.md, Growth): users who used the feature in the period /
-- active users in the period. Use before the user's signup is not counted.
with
bounds as (
    select
        max(activity_date) as data_through,
    from growth.user_activity_days
),

active_users as (
    select
        date_trunc($grain, activity_date)::date as period_start,
        count(distinct user_id) as active_users,
    from growth.user_activity_days
    group by all
),

users as (
    select
        user_id,
        signup_at,
    from raw.users
),

feature_uses as (
    select
        feature_usage.user_id,
        feature_usage.feature,
        -- cut the period in the reporting timezone
        date_trunc($grain, (feature_usage.used_at at time zone $reporting_timezone)::date)::date
            as period_start,
    from raw.feature_usage
    inner join users on users.user_id = feature_usage.user_id
    where feature_usage.used_at >= users.signup_at
),

features as (
    select distinct
        feature,
    from feature_uses
),

feature_users as (
    select
        period_start,
        feature,
        count(distinct user_id) as feature_users,
    from feature_uses
    group by all
)

select
    active_users.period_start,
    features.feature,
    growth.period_last_day($grain, active_users.period_start) <= bounds.data_through
        as is_complete,
    coalesce(feature_users.feature_users, 0) as feature_users,
    active_users.active_users,
    round(
        100.0 * coalesce(feature_users.feature_users, 0) / nullif(active_users.active_users, 0), 2
    ) as adoption_pct,
from active_users
cross join features
cross join bounds
left join feature_users using (period_start, feature)
order by active_users.period_start, features.feature
