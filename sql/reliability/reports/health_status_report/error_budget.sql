-- Grain: one row per service: budget left and burn rates over each window at the end of $as_of
-- (reporting timezone; the last instant of the day), and whether to page.
select
    service_id,
    probes,
    error_budget_remaining,
    burn_rate_budget_window,
    burn_rate_6h,
    burn_rate_1h,
    page,
from reliability.error_budget_at(
    ($as_of::date + 1)::timestamp at time zone $reporting_timezone - interval 1 microsecond,
    $reliability_error_budget_days,
    $reliability_slo,
    $reliability_burn_rate_fast,
    $reliability_burn_rate_slow
)
order by service_id
