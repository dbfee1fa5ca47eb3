-- Grain: one row: the tech-debt work items open at the end of the as-of day, how many are in
-- progress, and their age in days (as-of day - the day filed): median (the mean of the middle
-- two for an even count) and oldest. Ages are empty when none is open.
select
    count(*) as open_items,
    count(*) filter (where in_progress) as in_progress,
    median(age_days) as median_age_days,
    max(age_days) as max_age_days,
from delivery.open_tech_debt($as_of::date, $reporting_timezone)
