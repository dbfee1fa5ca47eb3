-- Grain: one row per ISO week (Monday first, reporting timezone) complete by the as-of day whose
-- Monday lies in the 6 months ending with the month reported (voice.feedback_themes_weekly,
-- every theme together): feedback items, mean sentiment (positive 1, neutral 0, negative -1) and
-- the share negative.
with
weeks as (
    select
        week_start,
        sum(feedback_items) as feedback_items,
        sum(negative_items) as negative_items,
        -- a theme's mean times its items is its sentiment sum
        sum(mean_sentiment * feedback_items) as sentiment_sum,
    from voice.feedback_themes_weekly
    where market.in_months(week_start, $as_of, 6)
        and week_start + 6 <= $as_of
    group by week_start
)

select
    week_start,
    feedback_items::bigint as feedback_items,
    market.share(sentiment_sum, feedback_items) as mean_sentiment,
    market.share(negative_items, feedback_items) as negative_share,
from weeks
order by week_start
