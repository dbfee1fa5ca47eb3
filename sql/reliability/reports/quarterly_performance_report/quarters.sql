-- Grain: one row: the last calendar quarter (reporting timezone) complete on the as-of day, and
-- the quarter it is compared with. A quarter is complete once its last day is the as-of day or
-- earlier.
with
bounds as (
    select quarter_start,
    from reliability.quarter_bounds($as_of)
)

select
    strftime(quarter_start, '%Y') || '-Q' || quarter(quarter_start) as quarter,
    quarter_start::date as first_day,
    (quarter_start + interval 3 month)::date - 1 as last_day,
    strftime(quarter_start - interval 3 month, '%Y') || '-Q'
    || quarter(quarter_start - interval 3 month) as compared_with,
from bounds
