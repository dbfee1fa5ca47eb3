-- Grain: one row per ISO week (Monday start, reporting timezone) and theme, every theme in every
-- week from the first feedback's week to the last's (weeks without a theme's feedback as 0).
-- Implements feedback themes (metrics.md, Customer voice): count, share of the week's feedback and
-- mean sentiment per theme per week, each against the trailing $voice_theme_trailing_periods weeks.
with
items as (
    select
        -- cut the week in the reporting timezone
        date_trunc('week', (received_at at time zone $reporting_timezone)::date)::date
            as week_start,
        theme,
        voice.sentiment_score(sentiment) as sentiment_score,
        sentiment = 'negative' as is_negative,
    from raw.feedback_items
),

weeks as (
    select
        week::date as week_start,
    from generate_series(
        (select min(week_start) from items),
        (select max(week_start) from items),
        interval 1 week
    ) as weeks(week)
),

themes as (
    select distinct
        theme,
    from items
),

by_theme as (
    select
        week_start,
        theme,
        count(*) as feedback_items,
        count(*) filter (where is_negative) as negative_items,
        sum(sentiment_score) as sentiment_sum,
    from items
    group by all
),

grid as (
    select
        weeks.week_start,
        themes.theme,
        coalesce(by_theme.feedback_items, 0) as feedback_items,
        coalesce(by_theme.negative_items, 0) as negative_items,
        coalesce(by_theme.sentiment_sum, 0) as sentiment_sum,
        sum(coalesce(by_theme.feedback_items, 0)) over (partition by weeks.week_start)::bigint
            as week_items,
    from weeks
    cross join themes
    left join by_theme
        on by_theme.week_start = weeks.week_start
        and by_theme.theme = themes.theme
),

-- the grid holds every week, so the frame's rows are the weeks before
with_trailing as (
    select
        *,
        count(*) over trailing_weeks as trailing_weeks,
        sum(feedback_items) over trailing_weeks as trailing_items,
        sum(week_items) over trailing_weeks as trailing_week_items,
        sum(sentiment_sum) over trailing_weeks as trailing_sentiment_sum,
    from grid
    window trailing_weeks as (
        partition by theme
        order by week_start
        rows between $voice_theme_trailing_periods::int preceding and 1 preceding
    )
),

measured as (
    select
        week_start,
        theme,
        feedback_items,
        week_items,
        negative_items,
        100.0 * feedback_items / nullif(week_items, 0) as share_pct,
        sentiment_sum / nullif(feedback_items, 0) as mean_sentiment,
        -- a full trailing window only: the first weeks have no comparison
        case when trailing_weeks = $voice_theme_trailing_periods
            then trailing_items / $voice_theme_trailing_periods end as trailing_mean_items,
        case when trailing_weeks = $voice_theme_trailing_periods
            then 100.0 * trailing_items / nullif(trailing_week_items, 0) end as trailing_share_pct,
        case when trailing_weeks = $voice_theme_trailing_periods
            then trailing_sentiment_sum / nullif(trailing_items, 0) end as trailing_mean_sentiment,
    from with_trailing
)

select
    week_start,
    theme,
    -- a week is complete once its Sunday is before today (reporting timezone)
    week_start + 7 <= (get_current_timestamp() at time zone $reporting_timezone)::date
        as is_complete,
    feedback_items,
    week_items,
    share_pct,
    negative_items,
    mean_sentiment,
    trailing_mean_items,
    100.0 * (feedback_items - trailing_mean_items) / nullif(trailing_mean_items, 0)
        as items_change_pct,
    trailing_share_pct,
    share_pct - trailing_share_pct as share_change_pct_points,
    trailing_mean_sentiment,
    mean_sentiment - trailing_mean_sentiment as sentiment_change,
from measured
order by week_start, theme
