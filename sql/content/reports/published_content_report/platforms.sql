-- Grain: one row per platform (and `all`) over the fortnight of the two complete ISO weeks ending
-- on or before $as_of: posts, targets met of the target-weeks judged, engagement rate in
-- percent; one row 'none' when the fortnight has no posts.
with
platforms as (
    select
        min(week_start) as fortnight_start,
        platform,
        sum(posts)::bigint as posts,
        sum(rules_met)::bigint as targets_met,
        sum(rules)::bigint as targets_judged,
        round(100.0 * sum(rules_met) / nullif(sum(rules), 0), 1) as adherence_pct,
        round(100.0 * sum(engagements) / nullif(sum(impressions), 0), 2) as engagement_rate_pct,
    from content.platform_weekly
    where week_start between content.fortnight_start($as_of) and content.fortnight_start($as_of) + 7
        and is_complete
    group by platform
)

select
    *,
from platforms
union all
select
    content.fortnight_start($as_of),
    'none: no posts in the fortnight',
    0,
    null,
    null,
    null,
    null,
where not exists (select 1 from platforms where platform = 'all' and posts > 0)
order by platform = 'all', platform
