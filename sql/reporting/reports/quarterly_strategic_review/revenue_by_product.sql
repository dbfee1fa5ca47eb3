-- Grain: one row per product of revenue.portfolio_roi ('portfolio' first): net revenue and ROI %
-- of the three months to the latest complete month in the quarter holding the as-of day (the
-- whole quarter once it is complete), against the same for the quarter before.
with
roi_months as (
    select month, from revenue.portfolio_roi
),

rows_compared as (
    select
        latest_months.is_current,
        portfolio_roi.month,
        portfolio_roi.product_id,
        portfolio_roi.revenue,
        portfolio_roi.roi_pct,
    from revenue.portfolio_roi as portfolio_roi
    inner join reporting.strategic_latest_months($as_of, roi_months) as latest_months
        using (month)
),

per_product as (
    select
        product_id,
        max(month) filter (where is_current) as through_month,
        sum(revenue) filter (where is_current) as revenue,
        sum(revenue) filter (where not is_current) as previous_revenue,
        max(roi_pct) filter (where is_current) as roi_pct,
        max(roi_pct) filter (where not is_current) as previous_roi_pct,
    from rows_compared
    group by product_id
)

select
    product_id,
    through_month,
    revenue,
    previous_revenue,
    reporting.strategic_change_pct(revenue, previous_revenue) as revenue_change_pct,
    round(roi_pct, 1) as roi_pct,
    round(previous_roi_pct, 1) as previous_roi_pct,
from per_product
order by product_id = 'portfolio' desc, revenue desc nulls last, product_id
