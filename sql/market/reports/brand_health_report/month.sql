-- Grain: one row: the calendar month reported (through the as-of day) and the month before.
select * from market.report_month($as_of)
