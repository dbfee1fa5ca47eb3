-- Grain: one row per month of the 12 months to the report's month (revenue.mrr_monthly): MRR
-- and the month's new and lost MRR (churn + contraction, negative), for the picture.
with
reported as (
    select cast(date_trunc('month', $as_of + 1) - interval 1 month as date) as month
)

select
    mrr_monthly.month,
    mrr_monthly.mrr,
    mrr_monthly.new_mrr,
    mrr_monthly.churn_revenue_impact as lost_mrr,
from revenue.mrr_monthly
inner join reported
    on mrr_monthly.month between reported.month - interval 11 month and reported.month
order by mrr_monthly.month
