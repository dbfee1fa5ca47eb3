-- Grain: the count of the summary's experiments (completed in the fortnight as of $as_of, or
-- running on it) whose assigned users stray from the planned split.
select
    count(*) filter (where srm_passed = false) as experiments_with_srm,
from experiments.experiment_status
where experiments.in_summary(status, started_at, ended_at, $as_of, $reporting_timezone)
