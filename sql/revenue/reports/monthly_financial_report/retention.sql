-- Grain: one row per retention rate of the report's month and the month before
-- (revenue.mrr_monthly), in percent: NRR, GRR, customer churn, gross and net MRR churn.
with
reported as (
    select cast(date_trunc('month', $as_of + 1) - interval 1 month as date) as month
),

months as (
    select
        mrr_monthly.month = reported.month as is_this_month,
        mrr_monthly.nrr,
        mrr_monthly.grr,
        mrr_monthly.customer_churn_rate,
        mrr_monthly.gross_mrr_churn_rate,
        mrr_monthly.net_mrr_churn_rate,
    from revenue.mrr_monthly
    inner join reported
        on mrr_monthly.month between reported.month - interval 1 month and reported.month
),

rates as (
    select 1 as position, 'NRR' as rate, is_this_month, nrr as value, from months
    union all select 2, 'GRR', is_this_month, grr, from months
    union all select 3, 'Customer churn', is_this_month, customer_churn_rate, from months
    union all select 4, 'Gross MRR churn', is_this_month, gross_mrr_churn_rate, from months
    union all select 5, 'Net MRR churn', is_this_month, net_mrr_churn_rate, from months
)

select
    rate,
    round(100 * max(value) filter (where is_this_month), 1) as this_month_pct,
    round(100 * max(value) filter (where not is_this_month), 1) as month_before_pct,
from rates
group by position, rate
having count(*) filter (where is_this_month) > 0
order by position
