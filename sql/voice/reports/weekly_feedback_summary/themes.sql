-- Grain: one row per theme in the week as of $as_of (the last complete ISO week on or before it)
-- of voice.feedback_themes_weekly, the largest first (themes without
-- feedback that week at 0); one row 'none' when the week had no feedback.
with
themes as (
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
    where week_start = voice.report_week($as_of)
)

select
    *,
from themes
union all
select
    voice.report_week($as_of),
    'none: no feedback in the week',
    0,
    null,
    null,
    null,
    null,
    null,
    null,
where not exists (select 1 from themes where feedback_items > 0)
order by feedback_items desc, theme
