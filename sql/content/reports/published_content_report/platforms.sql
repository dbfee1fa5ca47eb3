-- Grain: one row per platform (and `all`) over the fortnight of the two latest complete ISO
-- weeks: posts, targets met of the target-weeks judged, engagement rate in percent.
with
fortnight as (
    select distinct
        week_start,
    from content.platform_weekly
    where is_complete
    order by week_start desc
    limit 2
)

select
    min(week_start) as fortnight_start,
    platform,
    sum(posts)::bigint as posts,
    sum(rules_met)::bigint as targets_met,
    sum(rules)::bigint as targets_judged,
    round(100.0 * sum(rules_met) / nullif(sum(rules), 0), 1) as adherence_pct,
    round(100.0 * sum(engagements) / nullif(sum(impressions), 0), 2) as engagement_rate_pct,
from content.platform_weekly
where week_start in (select week_start from fortnight)
group by platform
order by platform = 'all', platform
