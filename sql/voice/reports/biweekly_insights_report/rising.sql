-- Grain: one row per rising theme of voice.feedback_insights in the fortnight as of $as_of (the
-- two complete ISO weeks ending on or before it), the fastest first (at most 5).
select
    rising_rank,
    theme,
    fortnight_start,
    fortnight_items,
    fortnight_share_pct,
    baseline_share_pct,
    share_change_pct_points,
    items_change_pct,
    fortnight_mean_sentiment,
    rising_example_ids,
from voice.feedback_insights
where fortnight_end = voice.report_week($as_of) + 6
    and rising_rank is not null
order by rising_rank, theme
limit 5
