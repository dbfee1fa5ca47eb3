-- Portfolio ROI %: (revenue - total cost) / total cost x 100 over the trailing quarter ending
-- with the last calendar month complete on $as_of (metrics.md, scorecard; revenue.portfolio_roi).
select
    roi_pct as value,
from revenue.portfolio_roi
where product_id = 'portfolio'
    and month = (date_trunc('month', $as_of + 1) - interval 1 month)::date
