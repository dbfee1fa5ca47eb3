-- Grain: one row per success metric, its scorecard row on the baseline day (the playbook's
-- "baseline metrics documented"): $reporting_baseline_date, or when empty the last day of the
-- first calendar month whose every day has a scorecard value; a metric without a value that day
-- takes its first value after it. Rebuilt whole; the same rows each run.
with
scored_days as (
    select distinct as_of,
    from reporting.scorecard
    where value is not null
),

complete_months as (
    select
        date_trunc('month', as_of)::date as month_start,
        last_day(date_trunc('month', as_of)) as month_end,
    from scored_days
    group by all
    having count(*) = date_diff('day', month_start, month_end) + 1
),

first_complete_month as (
    select
        month_start,
        month_end,
    from complete_months
    order by month_start
    limit 1
),

baseline_day as (
    select
        $reporting_baseline_date::date as baseline_date,
        'configured: reporting_baseline_date' as chosen_by,
    where $reporting_baseline_date is not null
    union all
    select
        month_end as baseline_date,
        'default: last day of the first complete month of data ('
        || strftime(month_start, '%Y-%m') || ')' as chosen_by,
    from first_complete_month
    where $reporting_baseline_date is null
),

-- Each metric's row: the baseline day's, or for a metric without a value that day (MoM growth and
-- 30-day retention start later than the first complete month) its first day with one after it;
-- a metric that never has one keeps the baseline day's "no data".
candidates as (
    select
        scorecard.*,
        baseline_day.baseline_date as frozen_on,
        baseline_day.chosen_by,
    from reporting.scorecard as scorecard
    inner join baseline_day on scorecard.as_of >= baseline_day.baseline_date
    where scorecard.as_of = baseline_day.baseline_date
        or scorecard.value is not null
),

chosen as (
    select *
    from candidates
    qualify row_number() over (partition by metric order by value is null, as_of) = 1
)

select
    metric,
    name,
    category,
    value,
    unit,
    comparator,
    target,
    status,
    as_of as baseline_date,
    case
        when as_of = frozen_on then chosen_by
        else chosen_by || '; no value that day: its first value after it'
    end as chosen_by,
from chosen
