-- Grain: one row per customer-facing service plus `overall`, as of the latest probe loaded.
-- Implements the error budget and burn rates (metrics.md, Reliability): the macro
-- reliability.error_budget_at, as of the latest probe (the health report takes it as of its day).
from reliability.error_budget_at(
    null,
    $reliability_error_budget_days,
    $reliability_slo,
    $reliability_burn_rate_fast,
    $reliability_burn_rate_slow
)
