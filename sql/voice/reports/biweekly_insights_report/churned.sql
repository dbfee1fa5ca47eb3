-- Grain: one row per theme of voice.feedback_insights in the fortnight as of $as_of (the
-- two complete ISO weeks ending on or before it) concentrated in churned customers (lift
-- above 1) on at least voice_theme_min_items items, the most concentrated first (at most 5).
select
    theme,
    window_start,
    customer_items,
    churned_items,
    churned_share_pct,
    churned_lift,
    churned_example_ids,
from voice.feedback_insights
where fortnight_end = voice.report_week($as_of) + 6
    and churned_lift > 1
    -- on enough items to tell
    and customer_items >= $voice_theme_min_items
order by churned_lift desc, theme
limit 5
