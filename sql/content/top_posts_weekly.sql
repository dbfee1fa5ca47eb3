-- Grain: one row per ISO week (Monday first, reporting timezone), platform and pick (best,
-- worst): the post of the week on that platform with the highest / lowest engagement rate
-- (engagements / impressions) among its posts shown at least $content_ranking_min_impressions
-- times. Ties: best by more engagements, worst by more impressions, then post_id.
with
posts as (
    select
        post_id,
        platform,
        post_type,
        published_at,
        week_start,
        impressions,
        engagements,
        engagements / nullif(impressions, 0) as engagement_rate,
    from content.evaluated_posts($reporting_timezone)
),

weeks as (
    select
        week_start,
        is_complete,
    from content.evaluated_weeks($reporting_timezone)
),

platform_rates as (
    select
        week_start,
        platform,
        sum(engagements) / nullif(sum(impressions), 0) as platform_engagement_rate,
    from posts
    group by all
),

ranked as (
    select
        posts.*,
        count(*) over (partition by week_start, platform) as ranked_posts,
        row_number() over (
            partition by week_start, platform
            order by engagement_rate desc, engagements desc, post_id
        ) as best_rank,
        row_number() over (
            partition by week_start, platform
            order by engagement_rate asc, impressions desc, post_id
        ) as worst_rank,
    from posts
    where impressions >= $content_ranking_min_impressions
),

picks as (
    select 'best' as pick, * from ranked where best_rank = 1
    union all
    select 'worst' as pick, * from ranked where worst_rank = 1
)

select
    picks.week_start,
    picks.platform,
    picks.pick,
    weeks.is_complete,
    picks.post_id,
    picks.post_type,
    picks.published_at,
    picks.impressions,
    picks.engagements,
    picks.engagement_rate,
    platform_rates.platform_engagement_rate,
    picks.ranked_posts,
from picks
inner join weeks using (week_start)
inner join platform_rates using (week_start, platform)
order by picks.week_start, picks.platform, picks.pick
