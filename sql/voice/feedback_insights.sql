-- Grain: one row per fortnight and feedback theme: the bi-weekly deep analysis (metrics.md,
-- Customer voice) of every fortnight ending with a complete ISO week of
-- voice.feedback_themes_weekly (the week and the one before), so a bi-weekly report of any period
-- reads its own. Rising: the fortnight's share of feedback against the
-- $voice_theme_trailing_periods fortnights before it. Concentration: over the feedback of the
-- $voice_insight_window_days days up to the fortnight's end, the share from detractors (author's
-- latest NPS answer by then 0-6) and from churned customers (author's latest MRR movement by then
-- in revenue.mrr_movements is churn), each against the same share over every theme (lift);
-- example feedback ids beside each.
with
bounds as (
    select distinct
        week_start - 7 as fortnight_start,
        week_start + 6 as fortnight_end,
        week_start + 6 - ($voice_insight_window_days::int - 1) as window_start,
    from voice.feedback_themes_weekly
    where is_complete
),

weeks as (
    select
        bounds.fortnight_end,
        weekly.theme,
        weekly.week_start >= bounds.fortnight_start as in_fortnight,
        weekly.feedback_items,
        weekly.week_items,
        weekly.mean_sentiment * weekly.feedback_items as sentiment_sum,
    from voice.feedback_themes_weekly as weekly
    -- the fortnight and the trailing fortnights before it
    inner join bounds
        on weekly.week_start >= bounds.fortnight_start - 14 * $voice_theme_trailing_periods::int
        and weekly.week_start <= bounds.fortnight_end
),

periods as (
    select
        fortnight_end,
        theme,
        sum(feedback_items) filter (where in_fortnight)::bigint as fortnight_items,
        sum(week_items) filter (where in_fortnight) as fortnight_all_items,
        sum(sentiment_sum) filter (where in_fortnight) as fortnight_sentiment_sum,
        count(*) filter (where not in_fortnight) as baseline_weeks,
        sum(feedback_items) filter (where not in_fortnight) as baseline_items,
        sum(week_items) filter (where not in_fortnight) as baseline_all_items,
    from weeks
    group by fortnight_end, theme
),

rising as (
    select
        fortnight_end,
        theme,
        fortnight_items,
        100.0 * fortnight_items / nullif(fortnight_all_items, 0) as fortnight_share_pct,
        fortnight_sentiment_sum / nullif(fortnight_items, 0) as fortnight_mean_sentiment,
        -- a full baseline only: the first fortnights of the data have no comparison
        case when baseline_weeks = 2 * $voice_theme_trailing_periods
            then baseline_items / $voice_theme_trailing_periods end as baseline_mean_items,
        case when baseline_weeks = 2 * $voice_theme_trailing_periods
            then 100.0 * baseline_items / nullif(baseline_all_items, 0) end as baseline_share_pct,
    from periods
),

items as (
    select
        feedback_items.feedback_id,
        feedback_items.user_id,
        feedback_items.received_at,
        feedback_items.theme,
        feedback_items.sentiment,
        -- cut the day in the reporting timezone
        (feedback_items.received_at at time zone $reporting_timezone)::date as received_date,
    from raw.feedback_items
),

daily_answers as (
    -- each user's last answer of a local day: the latest answer by a day is the latest of these
    select
        user_id,
        (responded_at at time zone $reporting_timezone)::date as response_date,
        arg_max(score, responded_at) as score,
    from raw.nps_responses
    group by all
),

windowed as (
    select
        bounds.fortnight_end,
        items.feedback_id,
        items.user_id,
        items.theme,
        items.received_at,
        items.sentiment = 'negative' as is_negative,
    from items
    inner join bounds
        on items.received_date between bounds.window_start and bounds.fortnight_end
    where items.user_id is not null
),

answered as (
    -- the author's latest answer by the fortnight's end
    select
        windowed.*,
        daily_answers.score,
    from windowed
    asof left join daily_answers
        on daily_answers.user_id = windowed.user_id
        and daily_answers.response_date <= windowed.fortnight_end
),

authored as (
    -- and the author's latest MRR movement by then
    select
        answered.fortnight_end,
        answered.feedback_id,
        answered.theme,
        answered.received_at,
        answered.is_negative,
        answered.score is not null as is_rated,
        answered.score <= 6 as is_detractor,
        mrr_movements.movement is not null as is_customer,
        mrr_movements.movement = 'churn' as is_churned,
    from answered
    asof left join revenue.mrr_movements
        on mrr_movements.customer_id = answered.user_id
        and mrr_movements.month <= answered.fortnight_end
),

concentration as (
    select
        fortnight_end,
        theme,
        count(*) filter (where is_rated) as rated_items,
        count(*) filter (where is_detractor) as detractor_items,
        count(*) filter (where is_customer) as customer_items,
        count(*) filter (where is_churned) as churned_items,
        -- examples: complaints first, then the latest
        array_to_string(
            (
                list(feedback_id order by is_negative desc, received_at desc, feedback_id)
                    filter (where is_detractor)
            )[1:$voice_insight_examples::int],
            ', '
        ) as detractor_example_ids,
        array_to_string(
            (
                list(feedback_id order by is_negative desc, received_at desc, feedback_id)
                    filter (where is_churned)
            )[1:$voice_insight_examples::int],
            ', '
        ) as churned_example_ids,
    from authored
    group by fortnight_end, theme
),

overall as (
    select
        fortnight_end,
        sum(detractor_items) / nullif(sum(rated_items), 0) as detractor_share,
        sum(churned_items) / nullif(sum(customer_items), 0) as churned_share,
    from concentration
    group by fortnight_end
),

fortnight_examples as (
    select
        bounds.fortnight_end,
        items.theme,
        array_to_string(
            (list(items.feedback_id order by items.received_at desc, items.feedback_id))
                [1:$voice_insight_examples::int],
            ', '
        ) as rising_example_ids,
    from items
    inner join bounds
        on items.received_date between bounds.fortnight_start and bounds.fortnight_end
    group by bounds.fortnight_end, items.theme
),

compared as (
    select
        rising.*,
        100.0 * (rising.fortnight_items - rising.baseline_mean_items)
            / nullif(rising.baseline_mean_items, 0) as items_change_pct,
        rising.fortnight_share_pct - rising.baseline_share_pct as share_change_pct_points,
        -- rising: a larger share than the baseline's, on enough items to tell
        rising.fortnight_items >= $voice_theme_min_items
            and rising.fortnight_share_pct - rising.baseline_share_pct > 0 as is_rising,
    from rising
)

select
    compared.theme,
    bounds.fortnight_start,
    bounds.fortnight_end,
    compared.fortnight_items,
    compared.fortnight_share_pct,
    compared.fortnight_mean_sentiment,
    compared.baseline_mean_items,
    compared.baseline_share_pct,
    compared.items_change_pct,
    compared.share_change_pct_points,
    case when compared.is_rising
        then rank() over (
            partition by compared.fortnight_end, compared.is_rising
            order by compared.share_change_pct_points desc
        )
    end as rising_rank,
    fortnight_examples.rising_example_ids,
    bounds.window_start,
    coalesce(concentration.rated_items, 0) as rated_items,
    coalesce(concentration.detractor_items, 0) as detractor_items,
    100.0 * concentration.detractor_items / nullif(concentration.rated_items, 0)
        as detractor_share_pct,
    (concentration.detractor_items / nullif(concentration.rated_items, 0))
        / nullif(overall.detractor_share, 0) as detractor_lift,
    concentration.detractor_example_ids,
    coalesce(concentration.customer_items, 0) as customer_items,
    coalesce(concentration.churned_items, 0) as churned_items,
    100.0 * concentration.churned_items / nullif(concentration.customer_items, 0)
        as churned_share_pct,
    (concentration.churned_items / nullif(concentration.customer_items, 0))
        / nullif(overall.churned_share, 0) as churned_lift,
    concentration.churned_example_ids,
from compared
inner join bounds on bounds.fortnight_end = compared.fortnight_end
left join overall on overall.fortnight_end = compared.fortnight_end
left join concentration
    on concentration.fortnight_end = compared.fortnight_end
    and concentration.theme = compared.theme
left join fortnight_examples
    on fortnight_examples.fortnight_end = compared.fortnight_end
    and fortnight_examples.theme = compared.theme
order by bounds.fortnight_end, compared.theme
