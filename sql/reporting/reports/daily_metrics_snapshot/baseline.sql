-- Grain: one row, the baseline every comparison here uses: its day, how the day was chosen,
-- and how many metrics had a value then (no row before the baseline exists).
select
    baseline_date,
    chosen_by,
    count(value) as metrics_with_a_value,
    count(*) as metrics,
from reporting.baseline
group by baseline_date, chosen_by
