-- Grain: one cell, the month the report is of: the last complete calendar month on the as-of
-- day (the as-of day's own month when it is that month's last day).
select strftime(cast(date_trunc('month', $as_of + 1) - interval 1 month as date), '%Y-%m')
    as month
