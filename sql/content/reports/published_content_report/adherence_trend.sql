-- Grain: one row per complete ISO week, the 12 ending on or before $as_of: every target's
-- adherence (the `all` row of content.platform_weekly), in percent.
select
    week_start,
    adherence_pct,
from content.platform_weekly
where platform = 'all'
    and is_complete
    and week_start between content.fortnight_start($as_of) - 70
        and content.fortnight_start($as_of) + 7
order by week_start desc
