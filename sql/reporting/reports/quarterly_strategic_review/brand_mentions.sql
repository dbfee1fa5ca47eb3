-- Grain: one row per channel of brand mentions (raw.brand_mentions, the Brand Guardian's
-- listening export), 'all' first: mentions published in the quarter holding the as-of day and in
-- the quarter before (days cut in the reporting timezone), their mean sentiment (-1 to 1) and the
-- share of them with a positive sentiment. One row saying so when no mention is loaded, or when
-- none falls in either quarter.
with
quarters as (
    select * from reporting.strategic_quarters($as_of)
),

mentions as (
    select
        quarters.is_current,
        brand_mentions.channel,
        brand_mentions.sentiment,
    from raw.brand_mentions as brand_mentions
    inner join quarters
        -- the day in the reporting timezone
        on (brand_mentions.mentioned_at at time zone $reporting_timezone)::date
        between quarters.first_day and quarters.last_day
),

per_channel as (
    select
        coalesce(channel, 'all') as channel,
        count(*) filter (where is_current) as mentions,
        count(*) filter (where not is_current) as previous_mentions,
        round(avg(sentiment) filter (where is_current), 2) as mean_sentiment,
        round(avg(sentiment) filter (where not is_current), 2) as previous_mean_sentiment,
        round(
            100.0 * count(*) filter (where is_current and sentiment > 0)
            / nullif(count(*) filter (where is_current), 0),
            1
        ) as positive_pct,
        round(
            100.0 * count(*) filter (where not is_current and sentiment > 0)
            / nullif(count(*) filter (where not is_current), 0),
            1
        ) as previous_positive_pct,
    from mentions
    group by grouping sets ((), (channel))
    having count(*) > 0
),

missing as (
    select
        case
            when (select count(*) from raw.brand_mentions) = 0 then 'no brand mentions loaded'
            else 'no brand mentions in either quarter'
        end as channel,
    where not exists (select 1 from mentions)
)

select
    channel,
    mentions,
    previous_mentions,
    reporting.strategic_change_pct(mentions, previous_mentions) as mentions_change_pct,
    mean_sentiment,
    previous_mean_sentiment,
    positive_pct,
    previous_positive_pct,
from per_channel
union all by name
select channel from missing
order by channel = 'all' desc, mentions desc nulls last, channel
