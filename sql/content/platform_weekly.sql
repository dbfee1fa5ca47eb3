-- Grain: one row per ISO week (Monday first, reporting timezone) and platform (those posted on
-- and those with a target), plus an `all` row per week over every platform and target.
-- Implements the content cadence (metrics.md, Content): posts per platform per week, engagement
-- rate = engagements / impressions, and adherence = targets met / targets of the platform.
with
weeks as (
    select
        week_start,
        is_complete,
    from content.evaluated_weeks($reporting_timezone)
),

posts as (
    select
        platform,
        week_start,
        impressions,
        engagements,
    from content.evaluated_posts($reporting_timezone)
),

rules as (
    select
        week_start,
        platform,
        met,
    from content.target_adherence_weekly
),

platforms as (
    select platform from posts
    union
    select platform from content.posting_targets
),

post_totals as (
    select
        platform,
        week_start,
        count(*) as posts,
        sum(impressions)::bigint as impressions,
        sum(engagements)::bigint as engagements,
    from posts
    group by all
),

rule_totals as (
    select
        platform,
        week_start,
        count(*) as rules,
        count(*) filter (where met) as rules_met,
    from rules
    group by all
),

by_platform as (
    select
        weeks.week_start,
        platforms.platform,
        weeks.is_complete,
        coalesce(post_totals.posts, 0) as posts,
        coalesce(post_totals.impressions, 0) as impressions,
        coalesce(post_totals.engagements, 0) as engagements,
        coalesce(rule_totals.rules, 0) as rules,
        coalesce(rule_totals.rules_met, 0) as rules_met,
    from weeks
    cross join platforms
    left join post_totals using (week_start, platform)
    left join rule_totals using (week_start, platform)
),

with_all as (
    select * from by_platform
    union all
    select
        week_start,
        'all' as platform,
        any_value(is_complete) as is_complete,
        sum(posts)::bigint as posts,
        sum(impressions)::bigint as impressions,
        sum(engagements)::bigint as engagements,
        sum(rules)::bigint as rules,
        sum(rules_met)::bigint as rules_met,
    from by_platform
    group by week_start
)

select
    week_start,
    platform,
    is_complete,
    posts,
    impressions,
    engagements,
    engagements / nullif(impressions, 0) as engagement_rate,
    rules,
    case when is_complete then rules_met end as rules_met,
    case when is_complete then round(100.0 * rules_met / nullif(rules, 0), 2) end
        as adherence_pct,
from with_all
order by week_start, platform = 'all', platform
