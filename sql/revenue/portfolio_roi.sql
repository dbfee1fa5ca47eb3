-- Grain: one row per calendar month (reporting timezone) of the window and product, plus product
-- 'portfolio'; each row covers the trailing quarter ending with that month.
-- Implements portfolio ROI = (revenue - total cost) / total cost x 100 (metrics.md, scorecard);
-- shared costs go to products by revenue share when revenue_roi_shared_costs = 'revenue_share'.
with
invoice_lines as (
    select
        customer_id,
        -- months are cut in the reporting timezone
        date_trunc('month', issued_at at time zone $reporting_timezone)::date as month,
        case when kind = 'refund' then -amount else amount end as signed_amount,
    from raw.invoices
    -- looks back two months before the window: each month reports its trailing quarter
    where issued_at >= (
            (($window_start at time zone $reporting_timezone) - interval 2 month)
            at time zone $reporting_timezone
        )
        and issued_at < $window_end
),

users as (
    select
        user_id as customer_id,
        product_id,
    from raw.users
),

cost_lines as (
    select
        month,
        product_id,
        amount,
    from raw.costs
    where month >= (($window_start at time zone $reporting_timezone) - interval 2 month)::date
        and month < ($window_end at time zone $reporting_timezone)::date
),

calendar as (
    select
        month,
    from revenue.window_months($window_start, $window_end, $reporting_timezone)
),

product_revenue as (
    select
        calendar.month,
        coalesce(users.product_id, '(unassigned)') as product_id,
        sum(invoice_lines.signed_amount) as revenue,
    from calendar
    inner join invoice_lines
        on invoice_lines.month > calendar.month - interval 3 month
        and invoice_lines.month <= calendar.month
    left join users using (customer_id)
    group by all
),

product_costs as (
    select
        calendar.month,
        cost_lines.product_id,
        sum(cost_lines.amount) as cost,
    from calendar
    inner join cost_lines
        on cost_lines.month > calendar.month - interval 3 month
        and cost_lines.month <= calendar.month
    group by all
),

shared_costs as (
    select
        month,
        cost as shared_cost,
    from product_costs
    where product_id is null
),

products as (
    select
        month,
        product_id,
    from product_revenue
    union
    select
        month,
        product_id,
    from product_costs
    where product_id is not null
),

by_product as (
    select
        products.month,
        products.product_id,
        coalesce(product_revenue.revenue, 0) as revenue,
        coalesce(product_costs.cost, 0) as direct_cost,
        case
            when $revenue_roi_shared_costs = 'revenue_share'
                then coalesce(
                    shared_costs.shared_cost * product_revenue.revenue
                    / nullif(sum(product_revenue.revenue) over (partition by products.month), 0),
                    0
                )
            else 0
        end as shared_cost,
    from products
    left join product_revenue using (month, product_id)
    left join product_costs using (month, product_id)
    left join shared_costs using (month)
),

portfolio as (
    select
        calendar.month,
        'portfolio' as product_id,
        coalesce((select sum(revenue) from product_revenue where month = calendar.month), 0)
            as revenue,
        coalesce((select sum(cost) from product_costs where month = calendar.month), 0)
            as total_cost,
    from calendar
),

roi_rows as (
    select
        month,
        product_id,
        revenue::decimal(38, 2) as revenue,
        (direct_cost + shared_cost)::decimal(38, 2) as total_cost,
    from by_product
    union all
    select
        month,
        product_id,
        revenue::decimal(38, 2) as revenue,
        total_cost::decimal(38, 2) as total_cost,
    from portfolio
)

select
    month,
    product_id,
    revenue,
    total_cost,
    revenue - total_cost as profit,
    (revenue - total_cost) / nullif(total_cost, 0) * 100 as roi_pct,
from roi_rows
