-- Grain: one row per signup-month cohort of growth.cohort_retention_monthly, the 6 latest up to
-- the month before the one holding $as_of (so each has a month 1): 'on' retention in percent
-- in month 0 to 6 after signup, a month empty until it is over; months after the one holding
-- $as_of are left out, so a re-run reads as it did then.
with
cohorts as (
    select distinct
        cohort_retention_monthly.signup_month,
    from growth.cohort_retention_monthly
    inner join growth.review_months($as_of) as months
        on cohort_retention_monthly.signup_month <= months.previous_start
    order by cohort_retention_monthly.signup_month desc
    limit 6
)

select
    cells.signup_month,
    any_value(cells.cohort_size) as cohort_size,
    any_value(cells.retention_pct) filter (where cells.month_number = 0) as month_0_pct,
    any_value(cells.retention_pct) filter (where cells.month_number = 1) as month_1_pct,
    any_value(cells.retention_pct) filter (where cells.month_number = 2) as month_2_pct,
    any_value(cells.retention_pct) filter (where cells.month_number = 3) as month_3_pct,
    any_value(cells.retention_pct) filter (where cells.month_number = 4) as month_4_pct,
    any_value(cells.retention_pct) filter (where cells.month_number = 5) as month_5_pct,
    any_value(cells.retention_pct) filter (where cells.month_number = 6) as month_6_pct,
from growth.cohort_retention_monthly as cells
inner join cohorts using (signup_month)
inner join growth.review_months($as_of) as months
    on cells.period_start <= months.month_start
group by cells.signup_month
order by cells.signup_month desc
