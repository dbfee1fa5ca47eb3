-- Grain: one row per month, the three up to the month holding $as_of.
select * replace (strftime(month, '%Y-%m') as month)
from reliability.dora_monthly
where month <= date_trunc('month', $as_of::date)
order by month desc
limit 3
