-- Grain: one row per theme in the latest complete week of voice.feedback_themes_weekly, the
-- largest first.
select
    week_start,
    theme,
    feedback_items,
    share_pct,
    mean_sentiment,
    trailing_mean_items,
    items_change_pct,
    share_change_pct_points,
    sentiment_change,
from voice.feedback_themes_weekly
where week_start = (select max(week_start) from voice.feedback_themes_weekly where is_complete)
order by feedback_items desc, theme
