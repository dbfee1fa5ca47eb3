-- Grain: one row per complete ISO week, the latest 12: every target's adherence (the `all` row
-- of content.platform_weekly), in percent.
select
    week_start,
    adherence_pct,
from content.platform_weekly
where platform = 'all'
    and is_complete
order by week_start desc
limit 12
