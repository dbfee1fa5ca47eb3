-- Grain: one row per revenue measure of the report's month (revenue.mrr_monthly): MRR, ARR,
-- paying customers and ARPA at month end, against the month before and the change.
with
reported as (
    select cast(date_trunc('month', $as_of + 1) - interval 1 month as date) as month
),

this_month as (
    select mrr_monthly.*,
    from revenue.mrr_monthly
    inner join reported using (month)
),

month_before as (
    select mrr_monthly.*,
    from revenue.mrr_monthly
    inner join reported on mrr_monthly.month = reported.month - interval 1 month
),

measures as (
    select 1 as position, 'MRR' as measure, mrr as this_month, from this_month
    union all select 2, 'ARR', arr, from this_month
    union all select 3, 'Paying customers', paying_customers, from this_month
    union all select 4, 'ARPA', arpa, from this_month
),

measures_before as (
    select 1 as position, mrr as month_before, from month_before
    union all select 2, arr, from month_before
    union all select 3, paying_customers, from month_before
    union all select 4, arpa, from month_before
)

select
    measures.measure,
    round(measures.this_month, 2) as this_month,
    round(measures_before.month_before, 2) as month_before,
    round(measures.this_month - measures_before.month_before, 2) as change,
from measures
left join measures_before using (position)
order by measures.position
