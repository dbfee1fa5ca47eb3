-- Grain: one row per day of the month reported through the as-of day (reporting timezone):
-- brand mentions, their mean sentiment (-1 to 1) and the share negative (sentiment below 0);
-- 0 mentions and empty means on a day without any; no rows when the feed is empty.
with
days as (
    select
        day::date as day,
    from generate_series(market.month_start($as_of, 0), $as_of::date, interval 1 day) as days(day)
),

mentions as (
    select
        -- cut the day in the reporting timezone
        (mentioned_at at time zone $reporting_timezone)::date as day,
        sentiment,
    from raw.brand_mentions
    where market.in_months((mentioned_at at time zone $reporting_timezone)::date, $as_of, 1)
)

select
    days.day,
    count(mentions.sentiment) as mentions,
    avg(mentions.sentiment) as mean_sentiment,
    market.share(count(*) filter (where mentions.sentiment < 0), count(mentions.sentiment))
        as negative_share,
from days
left join mentions on days.day = mentions.day
where exists (select 1 from raw.brand_mentions)
group by days.day
order by days.day
