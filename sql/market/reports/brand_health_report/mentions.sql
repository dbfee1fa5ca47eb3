-- Grain: one row per channel, then `all` (market.brand_mentions_monthly), of the month reported
-- against the month before: mentions, reach, mean sentiment, the share negative and the share
-- on-brand (in percent); one note row when the month has none ("no brand mentions loaded" when
-- the feed is empty, else "none this month").
with
months as (
    select
        *,
    from market.brand_mentions_monthly
    where month in (market.month_start($as_of, 0), market.month_start($as_of, 1))
),

compared as (
    select
        channel,
        max(mentions) filter (where month = market.month_start($as_of, 0)) as mentions,
        max(mentions) filter (where month = market.month_start($as_of, 1)) as previous_mentions,
        max(reach) filter (where month = market.month_start($as_of, 0)) as reach,
        max(reach) filter (where month = market.month_start($as_of, 1)) as previous_reach,
        max(mean_sentiment) filter (where month = market.month_start($as_of, 0))
            as mean_sentiment,
        max(mean_sentiment) filter (where month = market.month_start($as_of, 1))
            as previous_mean_sentiment,
        100.0 * max(negative_share) filter (where month = market.month_start($as_of, 0))
            as negative_pct,
        100.0 * max(negative_share) filter (where month = market.month_start($as_of, 1))
            as previous_negative_pct,
        100.0 * max(on_brand_share) filter (where month = market.month_start($as_of, 0))
            as on_brand_pct,
        100.0 * max(on_brand_share) filter (where month = market.month_start($as_of, 1))
            as previous_on_brand_pct,
    from months
    group by channel
)

select
    channel,
    mentions,
    previous_mentions,
    reach,
    previous_reach,
    mean_sentiment,
    previous_mean_sentiment,
    negative_pct,
    previous_negative_pct,
    on_brand_pct,
    previous_on_brand_pct,
from compared
union all
select
    market.nothing_note(count(*), 'brand mentions', 'this month') as channel,
    null as mentions,
    null as previous_mentions,
    null as reach,
    null as previous_reach,
    null as mean_sentiment,
    null as previous_mean_sentiment,
    null as negative_pct,
    null as previous_negative_pct,
    null as on_brand_pct,
    null as previous_on_brand_pct,
from market.brand_mentions_monthly
having not exists (
    select 1 from months where channel = 'all' and month = market.month_start($as_of, 0)
        and mentions > 0
)
order by mentions is not null, channel = 'all', channel
