-- Grain: one row per day the baseline copies (its day, and the later first days of the metrics
-- without a value on it), how it was chosen and how many metrics it holds, how many with a value
-- (no row before the baseline exists).
select
    baseline_date,
    chosen_by,
    count(value) as metrics_with_a_value,
    count(*) as metrics,
from reporting.baseline
group by baseline_date, chosen_by
order by baseline_date
