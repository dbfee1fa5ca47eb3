-- Grain: one cell, the blended LTV:CAC of the report's month (revenue.unit_economics), the
-- playbook's success metric (target above 3).
select round(unit_economics.ltv_to_cac, 2) as ltv_to_cac,
from revenue.unit_economics
where unit_economics.channel = 'blended'
    and unit_economics.month = cast(date_trunc('month', $as_of + 1) - interval 1 month as date)
