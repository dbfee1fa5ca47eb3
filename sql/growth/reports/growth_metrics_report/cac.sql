-- Grain: one row per acquisition channel (and 'blended') of the latest complete calendar month
-- up to $as_of in revenue.unit_economics: CAC = spend / new paying customers, LTV:CAC, payback.
select
    month,
    channel,
    spend,
    new_customers,
    cac,
    round(ltv_to_cac, 2) as ltv_to_cac,
    round(cac_payback_months, 1) as cac_payback_months,
from revenue.unit_economics
where month = (
    select max(month)
    from revenue.unit_economics
    where month + interval 1 month <= $as_of + 1
)
order by channel = 'blended', channel
