-- Grain: one row per target and week of the fortnight (the two complete ISO weeks ending on or
-- before $as_of) in which the target was not met: what it asks, and what was done.
select
    week_start,
    platform,
    rule,
    target,
    posts,
    case when per = 'day' then days_met || ' of 7 days' end as days_meeting_it,
    status,
from content.target_adherence_weekly
where week_start between content.fortnight_start($as_of) and content.fortnight_start($as_of) + 7
    and is_complete
    and not met
order by platform, rule, week_start
