-- Grain: one row per first-touch acquisition channel with signups or marketing spend in the
-- last complete ISO week up to $as_of, then a 'total' row: signups, share of the week's
-- signups, the week before, and the week's spend per signup (raw.marketing_spend by channel).
with
bounds as (
    select
        -- the last complete ISO week: the one ending on the last Sunday on or before $as_of
        cast(date_trunc('week', $as_of + 1) as date) - 7 as week_start,
),

signups as (
    select
        acquisition_channel as channel,
        cast(sum(signups) filter (where signup_date >= (select week_start from bounds)) as bigint)
            as signups,
        cast(sum(signups) filter (where signup_date < (select week_start from bounds)) as bigint)
            as week_before,
    from growth.signups_by_channel_daily
    where signup_date between (select week_start - 7 from bounds) and (select week_start + 6 from bounds)
    group by acquisition_channel
),

spend as (
    -- spend no channel can claim (brand, events) is in the total only
    select
        coalesce(channel, '(unattributed)') as channel,
        sum(amount) as spend,
    from raw.marketing_spend
    where spend_date between (select week_start from bounds) and (select week_start + 6 from bounds)
    group by all
),

channels as (
    select
        channel,
        coalesce(signups.signups, 0) as signups,
        coalesce(signups.week_before, 0) as week_before,
        spend.spend,
    from signups
    full join spend using (channel)
),

with_total as (
    select 1 as position, * from channels
    union all
    select
        2,
        'total',
        cast(sum(signups) as bigint),
        cast(sum(week_before) as bigint),
        sum(spend),
    from channels
)

select
    channel,
    signups,
    round(100.0 * signups / nullif((select sum(signups) from channels), 0), 2) as share_pct,
    week_before,
    signups - week_before as change,
    spend,
    round(spend / nullif(signups, 0), 2) as spend_per_signup,
from with_total
order by position, signups desc, channel
