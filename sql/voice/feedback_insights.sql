-- Grain: one row per feedback theme: the bi-weekly deep analysis (metrics.md, Customer voice) of
-- the latest fortnight, its two latest complete ISO weeks in voice.feedback_themes_weekly. Rising:
-- the fortnight's share of feedback against the $voice_theme_trailing_periods fortnights before
-- it. Concentration: over the feedback of the $voice_insight_window_days days up to the
-- fortnight's end, the share from detractors (author's latest NPS answer 0-6) and from churned
-- customers (author's latest MRR movement in revenue.mrr_movements is churn), each against the
-- same share over every theme (lift); example feedback ids beside each.
with
bounds as (
    select
        max(week_start) - 7 as fortnight_start,
        max(week_start) + 6 as fortnight_end,
        max(week_start) + 6 - ($voice_insight_window_days::int - 1) as window_start,
    from voice.feedback_themes_weekly
    where is_complete
),

weeks as (
    select
        weekly.theme,
        weekly.week_start >= bounds.fortnight_start as in_fortnight,
        weekly.feedback_items,
        weekly.week_items,
        weekly.sentiment_sum,
    from (
        select
            theme,
            week_start,
            feedback_items,
            week_items,
            mean_sentiment * feedback_items as sentiment_sum,
        from voice.feedback_themes_weekly
    ) as weekly
    cross join bounds
    -- the fortnight and the trailing fortnights before it
    where weekly.week_start >= bounds.fortnight_start - 14 * $voice_theme_trailing_periods::int
        and weekly.week_start <= bounds.fortnight_end
),

periods as (
    select
        theme,
        sum(feedback_items) filter (where in_fortnight)::bigint as fortnight_items,
        sum(week_items) filter (where in_fortnight) as fortnight_all_items,
        sum(sentiment_sum) filter (where in_fortnight) as fortnight_sentiment_sum,
        count(*) filter (where not in_fortnight) as baseline_weeks,
        sum(feedback_items) filter (where not in_fortnight) as baseline_items,
        sum(week_items) filter (where not in_fortnight) as baseline_all_items,
    from weeks
    group by theme
),

rising as (
    select
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

latest_answers as (
    select
        nps_responses.user_id,
        arg_max(nps_responses.score, nps_responses.responded_at) as score,
    from raw.nps_responses
    cross join bounds
    where (nps_responses.responded_at at time zone $reporting_timezone)::date
        <= bounds.fortnight_end
    group by nps_responses.user_id
),

latest_movements as (
    select
        mrr_movements.customer_id as user_id,
        arg_max(mrr_movements.movement, mrr_movements.month) as movement,
    from revenue.mrr_movements
    cross join bounds
    where mrr_movements.month <= bounds.fortnight_end
    group by mrr_movements.customer_id
),

authored as (
    select
        items.feedback_id,
        items.theme,
        items.received_at,
        items.sentiment = 'negative' as is_negative,
        latest_answers.score is not null as is_rated,
        latest_answers.score <= 6 as is_detractor,
        latest_movements.movement is not null as is_customer,
        latest_movements.movement = 'churn' as is_churned,
    from items
    cross join bounds
    left join latest_answers on latest_answers.user_id = items.user_id
    left join latest_movements on latest_movements.user_id = items.user_id
    where items.user_id is not null
        and items.received_date between bounds.window_start and bounds.fortnight_end
),

concentration as (
    select
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
    group by theme
),

overall as (
    select
        sum(detractor_items) / nullif(sum(rated_items), 0) as detractor_share,
        sum(churned_items) / nullif(sum(customer_items), 0) as churned_share,
    from concentration
),

fortnight_examples as (
    select
        items.theme,
        array_to_string(
            (list(items.feedback_id order by items.received_at desc, items.feedback_id))
                [1:$voice_insight_examples::int],
            ', '
        ) as rising_example_ids,
    from items
    cross join bounds
    where items.received_date between bounds.fortnight_start and bounds.fortnight_end
    group by items.theme
),

compared as (
    select
        rising.*,
        100.0 * (rising.fortnight_items - rising.baseline_mean_items)
            / nullif(rising.baseline_mean_items, 0) as items_change_pct,
        rising.fortnight_share_pct - rising.baseline_share_pct as share_change_pct_points,
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
    -- rising: a larger share than the baseline's, on enough items to tell
    case when compared.fortnight_items >= $voice_theme_min_items
        and compared.share_change_pct_points > 0
        then rank() over (
            partition by compared.fortnight_items >= $voice_theme_min_items
                and compared.share_change_pct_points > 0
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
cross join bounds
cross join overall
left join concentration on concentration.theme = compared.theme
left join fortnight_examples on fortnight_examples.theme = compared.theme
order by compared.theme
