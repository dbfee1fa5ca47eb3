-- Grain: one row per calendar month (reporting timezone; its first day) and probed service, plus
-- an `overall` row per month: probe-weighted over customer-facing services. Implements System
-- uptime (metrics.md, scorecard uptime_pct) by reliability.uptime over every probe; its columns,
-- period_start named uptime_month.
select
    * rename (period_start as uptime_month),
from reliability.uptime('month', $reporting_timezone)
order by uptime_month, service_id
