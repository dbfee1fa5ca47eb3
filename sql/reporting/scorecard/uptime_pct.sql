-- System uptime as of $as_of: probe-weighted share of successful probes over customer-facing
-- services (the `overall` rows) in the trailing uptime window, planned maintenance excluded.
select
    100.0 * sum(ok_probes) / nullif(sum(probes), 0) as value,
from reliability.uptime_daily
where service_id = 'overall'
    and uptime_date > $as_of - $reliability_uptime_window_days::int
    and uptime_date <= $as_of
