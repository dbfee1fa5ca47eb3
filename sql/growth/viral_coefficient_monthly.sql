-- Grain: one row per calendar month of invite (reporting timezone).
-- Implements the viral coefficient K (metrics.md, Growth): invites sent per inviting user x share
-- of invites that became signups; measured form = referred signups / users who could invite
-- (the month's active users). Signups count in the month the invite was sent.
with
invites as (
    select
        inviter_user_id,
        accepted_user_id,
        -- cut the month in the reporting timezone
        date_trunc('month', (sent_at at time zone $reporting_timezone)::date)::date as invite_month,
    from raw.invites
),

monthly_invites as (
    select
        invite_month,
        count(distinct inviter_user_id) as inviting_users,
        count(*) as invites_sent,
        count(accepted_user_id) as referred_signups,
    from invites
    group by invite_month
),

monthly_active as (
    select
        date_trunc('month', activity_date)::date as invite_month,
        count(distinct user_id) as active_users,
    from growth.user_activity_days
    group by all
)

select
    monthly_invites.invite_month,
    monthly_invites.inviting_users,
    monthly_invites.invites_sent,
    monthly_invites.referred_signups,
    coalesce(monthly_active.active_users, 0) as active_users,
    round(monthly_invites.invites_sent / nullif(monthly_invites.inviting_users, 0), 4)
        as invites_per_inviter,
    round(100.0 * monthly_invites.referred_signups / nullif(monthly_invites.invites_sent, 0), 2)
        as invite_conversion_pct,
    round(
        (monthly_invites.invites_sent / nullif(monthly_invites.inviting_users, 0))
        * (monthly_invites.referred_signups / nullif(monthly_invites.invites_sent, 0)),
        4
    ) as k_factor,
    round(monthly_invites.referred_signups / nullif(monthly_active.active_users, 0), 4)
        as k_measured,
from monthly_invites
left join monthly_active using (invite_month)
order by monthly_invites.invite_month
