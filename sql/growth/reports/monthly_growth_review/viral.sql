-- Grain: one row per invite month of growth.viral_coefficient_monthly, the 6 months ending with
-- the one holding $as_of, newest first: inviters, invites, referred signups, K against the month
-- before and the gap to K = 1 (above 1 each user brings more than one new user: growth on its
-- own). The latest months still grow while invites convert. Without a row, one row saying so.
with
viral as (
    select
        viral_coefficient_monthly.invite_month,
        viral_coefficient_monthly.inviting_users,
        viral_coefficient_monthly.invites_sent,
        viral_coefficient_monthly.referred_signups,
        viral_coefficient_monthly.k_factor,
        lag(viral_coefficient_monthly.k_factor) over (
            order by viral_coefficient_monthly.invite_month
        ) as k_factor_month_before,
    from growth.viral_coefficient_monthly
    inner join growth.review_months($as_of) as months
        on viral_coefficient_monthly.invite_month
            between months.month_start - interval 6 month and months.month_start
)

select
    invite_month,
    inviting_users,
    invites_sent,
    referred_signups,
    round(k_factor, 3) as k_factor,
    round(k_factor - k_factor_month_before, 3) as change,
    1.0 as target_k,
    round(k_factor - 1.0, 3) as gap_to_target,
from viral
where invite_month >= (select month_start - interval 5 month from growth.review_months($as_of))
union all
select
    'no invites loaded up to ' || strftime(months.month_end, '%Y-%m-%d') || ' (raw.invites)',
    null,
    null,
    null,
    null,
    null,
    null,
    null,
from growth.review_months($as_of) as months
where not exists (select 1 from viral)
order by invite_month desc nulls last
