-- Grain: one row per theme of voice.feedback_insights in the fortnight as of $as_of (the
-- two complete ISO weeks ending on or before it) concentrated in detractors (lift above
-- 1) on at least voice_theme_min_items items, the most concentrated first (at most 5).
select
    theme,
    window_start,
    rated_items,
    detractor_items,
    detractor_share_pct,
    detractor_lift,
    detractor_example_ids,
from voice.feedback_insights
where fortnight_end = voice.report_week($as_of) + 6
    and detractor_lift > 1
    -- on enough items to tell
    and rated_items >= $voice_theme_min_items
order by detractor_lift desc, theme
limit 5
