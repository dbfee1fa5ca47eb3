-- LTV:CAC: blended LTV / blended CAC of the last calendar month complete on $as_of
-- (metrics.md, scorecard; computed in revenue.unit_economics).
select
    ltv_to_cac as value,
from revenue.unit_economics
where channel = 'blended'
    and month = (date_trunc('month', $as_of + 1) - interval 1 month)::date
