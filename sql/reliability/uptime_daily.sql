-- Grain: one row per calendar day (reporting timezone) and probed service, plus an `overall` row
-- per day: probe-weighted over customer-facing services. Implements System uptime (metrics.md,
-- scorecard uptime_pct) by reliability.uptime over the window; its columns, period_start named
-- uptime_date.
select
    * rename (period_start as uptime_date),
from reliability.uptime(
    'day',
    $reporting_timezone,
    probes_from := $window_start,
    probes_before := $window_end
)
order by uptime_date, service_id
