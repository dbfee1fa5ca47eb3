-- Grain: the count of experiments whose assigned users stray from the planned split.
select
    count(*) filter (where srm_passed = false) as experiments_with_srm,
from experiments.experiment_status
