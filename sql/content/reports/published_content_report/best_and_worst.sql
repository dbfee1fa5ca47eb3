-- Grain: one row per platform and pick (best, worst) over the fortnight of the two latest
-- complete ISO weeks: the better of its two weekly bests, the worse of its two weekly worsts
-- (the same ranking as content.top_posts_weekly, whose picks these are).
with
fortnight as (
    select distinct
        week_start,
    from content.top_posts_weekly
    where is_complete
    order by week_start desc
    limit 2
),

ranked as (
    select
        *,
        row_number() over (
            partition by platform, pick
            order by
                case when pick = 'best' then -engagement_rate else engagement_rate end,
                case when pick = 'best' then -engagements else -impressions end,
                post_id
        ) as fortnight_rank,
    from content.top_posts_weekly
    where week_start in (select week_start from fortnight)
)

select
    platform,
    pick,
    post_id,
    post_type,
    published_at,
    impressions,
    engagements,
    round(100 * engagement_rate, 2) as engagement_rate_pct,
from ranked
where fortnight_rank = 1
order by platform, pick
