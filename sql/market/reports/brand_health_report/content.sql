-- Grain: one row per platform posted on in the month or the month before (raw.content_posts,
-- days in the reporting timezone), then an `all` row: posts, impressions, engagements and the
-- engagement rate (engagements / impressions, pooled over the posts, in percent) of the month
-- against the month before; one note row when the month has no post.
with
posts as (
    select
        platform,
        impressions,
        engagements,
        -- cut the day in the reporting timezone
        (published_at at time zone $reporting_timezone)::date >= market.month_start($as_of, 0)
            as in_month,
    from raw.content_posts
    where market.in_months((published_at at time zone $reporting_timezone)::date, $as_of, 2)
),

platforms as (
    select
        coalesce(platform, 'all') as platform,
        count(*) filter (where in_month) as posts,
        count(*) filter (where not in_month) as previous_posts,
        coalesce(sum(impressions) filter (where in_month), 0) as impressions,
        coalesce(sum(engagements) filter (where in_month), 0) as engagements,
        100.0 * market.share(
            sum(engagements) filter (where in_month), sum(impressions) filter (where in_month)
        ) as engagement_rate_pct,
        100.0 * market.share(
            sum(engagements) filter (where not in_month),
            sum(impressions) filter (where not in_month)
        ) as previous_engagement_rate_pct,
    from posts
    group by grouping sets ((platform), ())
),

listed as (
    select
        0 as block,
        market.nothing_note(count(*), 'content posts', 'this month') as platform,
        null::bigint as posts,
        null::bigint as previous_posts,
        null::hugeint as impressions,
        null::hugeint as engagements,
        null::double as engagement_rate_pct,
        null::double as previous_engagement_rate_pct,
    from raw.content_posts
    having not exists (select 1 from posts where in_month)
    union all
    select
        if(platform = 'all', 2, 1) as block,
        *,
    from platforms
)

select
    platform,
    posts,
    previous_posts,
    impressions::bigint as impressions,
    engagements::bigint as engagements,
    engagement_rate_pct,
    previous_engagement_rate_pct,
    engagement_rate_pct - previous_engagement_rate_pct as engagement_rate_change_pct_points,
from listed
order by block, platform
