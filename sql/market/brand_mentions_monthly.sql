-- Grain: one row per calendar month (reporting timezone) and channel, plus an `all` row per
-- month, every channel in every month from the first mention's month to the last's (0 where a
-- channel had none). Implements the brand consistency audit's mention figures (Brand Health
-- Report): count, reach, mean sentiment, share negative, share on-brand of those reviewed.
with
mentions as (
    select
        -- cut the day in the reporting timezone
        (mentioned_at at time zone $reporting_timezone)::date as mention_day,
        channel,
        sentiment,
        reach,
        on_brand,
    from raw.brand_mentions
),

months as (
    select
        month::date as month,
        -- complete when its last day is on or before the latest mention's day
        (month + interval 1 month)::date - 1 <= (select max(mention_day) from mentions)
            as is_complete,
    from generate_series(
        (select market.month_start(min(mention_day), 0) from mentions),
        (select market.month_start(max(mention_day), 0) from mentions),
        interval 1 month
    ) as months(month)
),

channels as (
    select distinct
        channel,
    from mentions
),

by_channel as (
    select
        market.month_start(mention_day, 0) as month,
        channel,
        count(*) as mentions,
        sum(reach) as reach,
        count(reach) as reach_known_mentions,
        sum(sentiment) as sentiment_sum,
        count(*) filter (where sentiment < 0) as negative_mentions,
        count(on_brand) as reviewed_mentions,
        count(*) filter (where on_brand) as on_brand_mentions,
    from mentions
    group by all
),

grid as (
    select
        months.month,
        channels.channel,
        months.is_complete,
        coalesce(by_channel.mentions, 0) as mentions,
        coalesce(by_channel.reach, 0) as reach,
        coalesce(by_channel.reach_known_mentions, 0) as reach_known_mentions,
        by_channel.sentiment_sum,
        coalesce(by_channel.negative_mentions, 0) as negative_mentions,
        coalesce(by_channel.reviewed_mentions, 0) as reviewed_mentions,
        coalesce(by_channel.on_brand_mentions, 0) as on_brand_mentions,
    from months
    cross join channels
    left join by_channel
        on by_channel.month = months.month
        and by_channel.channel = channels.channel
),

with_all as (
    select * from grid
    union all
    select
        month,
        'all' as channel,
        any_value(is_complete) as is_complete,
        sum(mentions)::bigint as mentions,
        sum(reach)::bigint as reach,
        sum(reach_known_mentions)::bigint as reach_known_mentions,
        sum(sentiment_sum) as sentiment_sum,
        sum(negative_mentions)::bigint as negative_mentions,
        sum(reviewed_mentions)::bigint as reviewed_mentions,
        sum(on_brand_mentions)::bigint as on_brand_mentions,
    from grid
    group by month
)

select
    month,
    channel,
    is_complete,
    mentions,
    reach::bigint as reach,
    reach_known_mentions,
    sentiment_sum / nullif(mentions, 0) as mean_sentiment,
    negative_mentions,
    market.share(negative_mentions, mentions) as negative_share,
    reviewed_mentions,
    on_brand_mentions,
    market.share(on_brand_mentions, reviewed_mentions) as on_brand_share,
from with_all
order by month, channel = 'all', channel
