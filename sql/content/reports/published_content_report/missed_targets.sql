-- Grain: one row per target and week of the fortnight (two latest complete ISO weeks) in
-- which the target was not met: what it asks, and what was done.
with
fortnight as (
    select distinct
        week_start,
    from content.target_adherence_weekly
    where is_complete
    order by week_start desc
    limit 2
)

select
    week_start,
    platform,
    rule,
    target,
    posts,
    case when per = 'day' then days_met || ' of 7 days' end as days_meeting_it,
    status,
from content.target_adherence_weekly
where week_start in (select week_start from fortnight)
    and not met
order by platform, rule, week_start
