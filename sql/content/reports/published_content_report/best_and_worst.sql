-- Grain: one row per platform and pick (best, worst) over the fortnight of the two complete ISO
-- weeks ending on or before $as_of: the better of its two weekly bests, the worse of its two
-- weekly worsts (the same ranking as content.top_posts_weekly, whose picks these are).
with
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
    where week_start between content.fortnight_start($as_of) and content.fortnight_start($as_of) + 7
        and is_complete
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
