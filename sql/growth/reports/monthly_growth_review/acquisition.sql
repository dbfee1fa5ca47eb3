-- Grain: one row per first-touch acquisition channel with signups or marketing spend in the
-- month holding $as_of (its first day to $as_of) or the month before, then 'total': signups,
-- share of the month's signups, the month before, the month's channel spend
-- (revenue.unit_economics; unattributed spend only in the total) and spend per signup. Without
-- signups or spend in either month, one row saying so.
with
signups as (
    select
        signups_by_channel_daily.acquisition_channel as channel,
        sum(signups_by_channel_daily.signups) filter (
            where signups_by_channel_daily.signup_date >= months.month_start
        )::bigint as signups,
        sum(signups_by_channel_daily.signups) filter (
            where signups_by_channel_daily.signup_date < months.month_start
        )::bigint as month_before,
    from growth.signups_by_channel_daily
    inner join growth.review_months($as_of) as months
        on signups_by_channel_daily.signup_date between months.previous_start and months.month_end
    group by all
),

spend as (
    select
        unit_economics.channel,
        unit_economics.spend,
    from revenue.unit_economics
    inner join growth.review_months($as_of) as months
        on unit_economics.month = months.month_start
),

channels as (
    select
        channel,
        coalesce(signups.signups, 0) as signups,
        coalesce(signups.month_before, 0) as month_before,
        spend.spend,
    from signups
    full join spend using (channel)
    where channel <> 'blended'
),

with_total as (
    select 1 as position, * from channels
    union all
    select
        2,
        'total',
        sum(signups)::bigint,
        sum(month_before)::bigint,
        (select spend from spend where channel = 'blended'),
    from channels
    having count(*) > 0
    union all
    select
        3,
        'no signups or marketing spend in ' || strftime(months.previous_start, '%Y-%m') || ' or '
        || strftime(months.month_start, '%Y-%m'),
        null,
        null,
        null,
    from growth.review_months($as_of) as months
    where not exists (select 1 from channels)
)

select
    channel,
    signups,
    round(100.0 * signups / nullif((select sum(signups) from channels), 0), 2) as share_pct,
    month_before,
    signups - month_before as change,
    spend,
    round(spend / nullif(signups, 0), 2) as spend_per_signup,
from with_total
order by position, signups desc, channel
