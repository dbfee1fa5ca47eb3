-- Grain: one row per feedback theme (voice.feedback_themes_weekly, ISO weeks starting in the
-- quarter), the most frequent this quarter first: items in the quarter holding the as-of day and
-- the quarter before, the theme's share of all feedback and its mean sentiment (-1 to 1).
with
quarters as (
    select * from reporting.strategic_quarters($as_of)
),

weeks as (
    select
        quarters.is_current,
        themes.theme,
        themes.feedback_items,
        themes.week_items,
        themes.mean_sentiment,
    from voice.feedback_themes_weekly as themes
    inner join quarters on themes.week_start between quarters.first_day and quarters.last_day
),

per_theme as (
    select
        theme,
        sum(feedback_items) filter (where is_current) as items,
        sum(feedback_items) filter (where not is_current) as previous_items,
        sum(week_items) filter (where is_current) as all_items,
        sum(week_items) filter (where not is_current) as previous_all_items,
        -- the weeks' means weighted by their items: the quarter's mean sentiment
        sum(mean_sentiment * feedback_items) filter (where is_current)
        / nullif(sum(feedback_items) filter (where is_current), 0) as mean_sentiment,
        sum(mean_sentiment * feedback_items) filter (where not is_current)
        / nullif(sum(feedback_items) filter (where not is_current), 0) as previous_mean_sentiment,
    from weeks
    group by theme
)

select
    theme,
    coalesce(items, 0)::bigint as items,
    coalesce(previous_items, 0)::bigint as previous_items,
    round(100.0 * items / nullif(all_items, 0), 1) as share_pct,
    round(100.0 * previous_items / nullif(previous_all_items, 0), 1) as previous_share_pct,
    round(mean_sentiment, 2) as mean_sentiment,
    round(previous_mean_sentiment, 2) as previous_mean_sentiment,
from per_theme
order by items desc nulls last, theme
