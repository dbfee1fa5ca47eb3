-- Grain: one row per acquisition channel worth exploring in the three months ending with the
-- one holding $as_of: signups there but no marketing spend in those months
-- (revenue.unit_economics), or first seen in those months (no signup before them in
-- growth.signups_by_channel_daily, which holds signups from before them: data that begins
-- inside the months makes no channel new); with its signups in the three months, spend, first
-- signup day and why. Without one, one row saying so.
with
window_bounds as (
    select
        (months.month_start - interval 2 month)::date as window_start,
        months.month_end,
    from growth.review_months($as_of) as months
),

signups as (
    select
        signups_by_channel_daily.acquisition_channel as channel,
        min(signups_by_channel_daily.signup_date) as first_signup,
        sum(signups_by_channel_daily.signups) filter (
            where signups_by_channel_daily.signup_date >= window_bounds.window_start
        )::bigint as signups,
    from growth.signups_by_channel_daily
    inner join window_bounds
        on signups_by_channel_daily.signup_date <= window_bounds.month_end
    group by all
),

spend as (
    select
        unit_economics.channel,
        sum(unit_economics.spend) as spend,
    from revenue.unit_economics
    inner join window_bounds
        on unit_economics.month between window_bounds.window_start and window_bounds.month_end
    group by all
),

firsts as (
    select
        signups.channel,
        signups.signups,
        signups.first_signup,
        signups.first_signup >= window_bounds.window_start
            and min(signups.first_signup) over () < window_bounds.window_start as is_new,
    from signups
    cross join window_bounds
),

candidates as (
    select
        firsts.channel,
        firsts.signups,
        coalesce(spend.spend, 0) as spend,
        firsts.first_signup,
        firsts.is_new,
    from firsts
    left join spend using (channel)
    where firsts.signups > 0
        and (coalesce(spend.spend, 0) = 0 or firsts.is_new)
)

select
    channel,
    signups,
    spend,
    first_signup,
    case
        when is_new and spend = 0 then 'first seen in the three months, no spend yet'
        when is_new then 'first seen in the three months'
        else 'signups without marketing spend'
    end as why,
from candidates
union all
select
    'no new channel: every channel with signups since '
    || strftime(window_start, '%Y-%m-%d') || ' had spend and earlier signups',
    null,
    null,
    null,
    null,
from window_bounds
where not exists (select 1 from candidates)
order by signups desc nulls last, channel
