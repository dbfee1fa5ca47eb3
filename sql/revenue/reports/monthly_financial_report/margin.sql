-- Grain: one row per profit-and-loss line of the report's month and the month before
-- (revenue.gross_margin_monthly): revenue, refunds, cost of revenue, gross profit, gross margin
-- (in percent), total costs and operating profit.
with
reported as (
    select cast(date_trunc('month', $as_of + 1) - interval 1 month as date) as month
),

months as (
    select
        gross_margin_monthly.month = reported.month as is_this_month,
        gross_margin_monthly.revenue,
        gross_margin_monthly.refunds,
        gross_margin_monthly.cost_of_revenue,
        gross_margin_monthly.gross_profit,
        100 * gross_margin_monthly.gross_margin as gross_margin_pct,
        gross_margin_monthly.total_costs,
        gross_margin_monthly.operating_profit,
    from revenue.gross_margin_monthly
    inner join reported
        on gross_margin_monthly.month
        between reported.month - interval 1 month and reported.month
),

lines as (
    select 1 as position, 'Revenue (net of refunds, tax excluded)' as line, is_this_month,
        revenue as value, from months
    union all select 2, 'Refunds', is_this_month, refunds, from months
    union all select 3, 'Cost of revenue', is_this_month, cost_of_revenue, from months
    union all select 4, 'Gross profit', is_this_month, gross_profit, from months
    union all select 5, 'Gross margin %', is_this_month, gross_margin_pct, from months
    union all select 6, 'Total costs', is_this_month, total_costs, from months
    union all select 7, 'Operating profit', is_this_month, operating_profit, from months
)

select
    line,
    round(max(value) filter (where is_this_month), 2) as this_month,
    round(max(value) filter (where not is_this_month), 2) as month_before,
    round(
        max(value) filter (where is_this_month) - max(value) filter (where not is_this_month), 2
    ) as change,
from lines
group by position, line
having count(*) filter (where is_this_month) > 0
order by position
