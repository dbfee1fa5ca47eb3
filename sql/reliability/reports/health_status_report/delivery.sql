-- Grain: one row per month, the latest three.
select * replace (strftime(month, '%Y-%m') as month)
from reliability.dora_monthly
order by month desc
limit 3
