-- Grain: one cell, the month the summary is of and the days it covers: the month holding the
-- as-of day, from its first day to the as-of day, against the whole month before.
select
    strftime(month_start, '%Y-%m') || ': ' || month_start || ' to ' || month_end
    || ', against ' || strftime(before_start, '%Y-%m') as month,
from reporting.month_bounds($as_of)
