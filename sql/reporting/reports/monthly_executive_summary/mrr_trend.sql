-- Grain: one row per month of revenue.mrr_monthly in the 12 months to the summary's month: MRR
-- at month end, for the picture.
select
    mrr_monthly.month,
    mrr_monthly.mrr,
from revenue.mrr_monthly
inner join reporting.month_bounds($as_of) as bounds
    on mrr_monthly.month between bounds.month_start - interval 11 month and bounds.month_start
order by mrr_monthly.month
