-- Grain: one row per acquisition channel of the report's month, blended first
-- (revenue.unit_economics): spend, new customers, CAC, ARPA, LTV, LTV:CAC and CAC payback.
with
reported as (
    select cast(date_trunc('month', $as_of + 1) - interval 1 month as date) as month
)

select
    unit_economics.channel,
    unit_economics.spend,
    unit_economics.new_customers,
    unit_economics.cac,
    unit_economics.arpa,
    round(100 * unit_economics.gross_margin, 1) as gross_margin_pct,
    round(100 * unit_economics.trailing_churn_rate, 2) as trailing_churn_pct,
    unit_economics.ltv,
    round(unit_economics.ltv_to_cac, 2) as ltv_to_cac,
    round(unit_economics.cac_payback_months, 1) as cac_payback_months,
from revenue.unit_economics
inner join reported using (month)
order by unit_economics.channel <> 'blended', unit_economics.channel
