-- Grain: one row per service: budget left and burn rates over each window, and whether to page.
select
    service_id,
    error_budget_remaining,
    burn_rate_budget_window,
    burn_rate_6h,
    burn_rate_1h,
    page,
from reliability.error_budget
order by service_id
