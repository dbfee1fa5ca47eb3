-- Grain: one row per complete calendar month of the two quarters compared (revenue.mrr_monthly):
-- MRR at month end and the month's new MRR.
with
quarters as (
    select * from reporting.strategic_quarters($as_of)
)

select
    mrr_monthly.month,
    mrr_monthly.mrr,
    mrr_monthly.new_mrr,
from revenue.mrr_monthly as mrr_monthly
inner join quarters on mrr_monthly.month between quarters.first_day and quarters.last_day
order by mrr_monthly.month
