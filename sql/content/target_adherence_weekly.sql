-- Grain: one row per ISO week (Monday first, reporting timezone) and posting target of
-- content.posting_targets, from the week of the first post to the week of evaluated_through.
-- Implements the content cadence (metrics.md, Content): posts per platform per week against the
-- platform's target; a `day` rule must hold on every day of the week.
with
targets as (
    select
        rule,
        platform,
        post_types,
        per,
        at_least,
        at_most,
        target,
    from content.posting_targets
),

days as (
    select
        post_day,
        week_start,
    from content.evaluated_days($reporting_timezone)
),

posts as (
    select
        platform,
        post_type,
        post_day,
    from content.evaluated_posts($reporting_timezone)
),

-- every rule on every day, days without a counting post at 0
rule_days as (
    select
        targets.rule,
        days.week_start,
        days.post_day,
        count(posts.post_day) as posts,
    from targets
    cross join days
    left join posts
        on posts.platform = targets.platform
        and list_contains(targets.post_types, posts.post_type)
        and posts.post_day = days.post_day
    group by all
),

rule_weeks as (
    select
        rule_days.rule,
        rule_days.week_start,
        count(*) as days_observed,
        sum(rule_days.posts)::bigint as posts,
        count(*) filter (
            where rule_days.posts >= targets.at_least
                and (targets.at_most is null or rule_days.posts <= targets.at_most)
        ) as days_met,
        count(*) filter (where rule_days.posts < targets.at_least) as days_below,
        count(*) filter (where rule_days.posts > targets.at_most) as days_above,
    from rule_days
    inner join targets on targets.rule = rule_days.rule
    group by all
),

judged as (
    select
        rule_weeks.*,
        targets.platform,
        targets.per,
        targets.at_least,
        targets.at_most,
        targets.target,
        rule_weeks.days_observed = 7 as is_complete,
        case
            when rule_weeks.days_observed < 7 then 'incomplete'
            when targets.per = 'day' and rule_weeks.days_below > 0 then 'below'
            when targets.per = 'day' and rule_weeks.days_above > 0 then 'above'
            when targets.per = 'day' then 'met'
            when rule_weeks.posts < targets.at_least then 'below'
            when rule_weeks.posts > targets.at_most then 'above'
            else 'met'
        end as status,
    from rule_weeks
    inner join targets on targets.rule = rule_weeks.rule
)

select
    week_start,
    rule,
    platform,
    per,
    target,
    at_least,
    at_most,
    is_complete,
    days_observed,
    posts,
    case when per = 'day' then days_met end as days_met,
    status,
    case when is_complete then status = 'met' end as met,
from judged
order by week_start, platform, rule
