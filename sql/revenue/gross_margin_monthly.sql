-- Grain: one row per calendar month (reporting timezone) of the window.
-- Revenue = invoiced subscription and one-off amounts less refunds, tax excluded, by month of
-- issue; gross margin = (revenue - cost of revenue) / revenue, cost of revenue = the categories
-- in the setting revenue_cost_of_revenue_categories (metrics.md, Revenue).
with
invoice_lines as (
    select
        -- months are cut in the reporting timezone
        date_trunc('month', issued_at at time zone $reporting_timezone)::date as month,
        case when kind = 'refund' then -amount else amount end as signed_amount,
        kind,
    from raw.invoices
    where issued_at >= $window_start
        and issued_at < $window_end
),

costs as (
    select
        month,
        category,
        amount,
    from revenue.costs_monthly
    where month >= ($window_start at time zone $reporting_timezone)::date
        and month < ($window_end at time zone $reporting_timezone)::date
),

revenue_by_month as (
    select
        month,
        sum(signed_amount) as revenue,
        sum(signed_amount) filter (where kind = 'refund') as refunds,
    from invoice_lines
    group by month
),

costs_by_month as (
    select
        month,
        sum(amount) filter (
            where list_contains($revenue_cost_of_revenue_categories, category)
        ) as cost_of_revenue,
        sum(amount) as total_costs,
    from costs
    group by month
),

filled as (
    select
        calendar.month,
        coalesce(revenue_by_month.revenue, 0)::decimal(38, 2) as revenue,
        coalesce(-revenue_by_month.refunds, 0)::decimal(38, 2) as refunds,
        coalesce(costs_by_month.cost_of_revenue, 0)::decimal(38, 2) as cost_of_revenue,
        coalesce(costs_by_month.total_costs, 0)::decimal(38, 2) as total_costs,
    from revenue.window_months($window_start, $window_end, $reporting_timezone) as calendar
    left join revenue_by_month using (month)
    left join costs_by_month using (month)
)

select
    month,
    revenue,
    refunds,
    cost_of_revenue,
    revenue - cost_of_revenue as gross_profit,
    (revenue - cost_of_revenue) / nullif(revenue, 0) as gross_margin,
    total_costs,
    revenue - total_costs as operating_profit,
from filled
