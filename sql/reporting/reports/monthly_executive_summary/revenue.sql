-- Grain: one row per revenue measure of the month against the month before (revenue monthly
-- tables, rows of complete months): MRR at month end and its growth over the month, NRR and
-- gross margin in percent, operating profit (negative: the month's burn).
with
figures as (
    select
        months.is_this_month,
        mrr_monthly.mrr,
        100.0 * (mrr_monthly.mrr - mrr_monthly.starting_mrr)
        / nullif(mrr_monthly.starting_mrr, 0) as mrr_growth_pct,
        100.0 * mrr_monthly.nrr as nrr_pct,
        100.0 * gross_margin_monthly.gross_margin as gross_margin_pct,
        gross_margin_monthly.operating_profit,
    from reporting.months_compared($as_of) as months
    left join revenue.mrr_monthly on mrr_monthly.month = months.first_day
    left join revenue.gross_margin_monthly on gross_margin_monthly.month = months.first_day
),

measures as (
    select 1 as position, 'MRR at month end' as measure, is_this_month, mrr as value,
    from figures
    union all select 2, 'MRR growth over the month %', is_this_month, mrr_growth_pct, from figures
    union all select 3, 'Net revenue retention %', is_this_month, nrr_pct, from figures
    union all select 4, 'Gross margin %', is_this_month, gross_margin_pct, from figures
    union all select 5, 'Operating profit (negative: burn)', is_this_month, operating_profit,
    from figures
)

select measure, this_month, month_before, change,
from reporting.against_month_before(measures)
