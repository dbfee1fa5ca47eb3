-- Grain: one row, the invites sent in the last complete ISO week up to $as_of (raw.invites, days
-- in the reporting timezone): inviters, invites, those accepted by $as_of, invites per inviter
-- and the week's k-factor (accepted / inviters), beside the latest month's k of
-- growth.viral_coefficient_monthly.
with
bounds as (
    select
        cast(date_trunc('week', $as_of + 1) as date) - 7 as week_start,
),

invites as (
    -- the reporting timezone cuts the calendar days
    select
        inviter_user_id,
        accepted_user_id,
        cast(timezone($reporting_timezone, accepted_at) as date) as accepted_on,
    from raw.invites
    where cast(timezone($reporting_timezone, sent_at) as date)
        between (select week_start from bounds) and (select week_start + 6 from bounds)
),

week as (
    select
        count(distinct inviter_user_id) as inviting_users,
        count(*) as invites_sent,
        count(accepted_user_id) filter (where accepted_on <= $as_of) as accepted,
    from invites
),

latest_month as (
    select
        invite_month,
        k_factor,
    from growth.viral_coefficient_monthly
    where invite_month + interval 1 month <= $as_of + 1
    order by invite_month desc
    limit 1
)

select
    (select week_start from bounds) as week_start,
    week.inviting_users,
    week.invites_sent,
    week.accepted,
    round(week.invites_sent / nullif(week.inviting_users, 0), 2) as invites_per_inviter,
    round(100.0 * week.accepted / nullif(week.invites_sent, 0), 2) as acceptance_pct,
    round(week.accepted / nullif(week.inviting_users, 0), 3) as k_factor_week,
    latest_month.invite_month as latest_complete_month,
    round(latest_month.k_factor, 3) as k_factor_month,
from week
left join latest_month on true
