-- Grain: one number, the feedback items of the fortnight as of $as_of (the two complete ISO
-- weeks ending on or before it), every theme; 0 when it had none.
select
    coalesce(sum(fortnight_items), 0) as fortnight_items,
from voice.feedback_insights
where fortnight_end = voice.report_week($as_of) + 6
