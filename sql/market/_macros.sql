-- Shared steps of the market queries and report sections, as DuckDB macros (run before the
-- domain's queries). A macro sees no bound parameters: the as-of day comes in as an argument.
-- None reads a table, so every section names the tables it depends on itself.

-- First day of the calendar month `months_back` months before the one holding the day (0: its
-- own month): the report's month is market.month_start($as_of, 0), the month before 1.
create or replace macro market.month_start(day, months_back) as
    (date_trunc('month', day) - to_months(months_back))::date;

-- Whether a day lies in the `months` calendar months ending with the one holding the as-of day,
-- and not after it: the period the monthly reports read ("the month holding $as_of" with
-- months 1, and the month before with 2).
create or replace macro market.in_months(day, as_of, months) as
    day >= market.month_start(as_of, months - 1) and day <= as_of;

-- The plain note a section shows in one row when it has nothing to list: the feed was never
-- loaded (rows_loaded 0), or it has rows but none in the period.
create or replace macro market.nothing_note(rows_loaded, feed, period) as
    case when rows_loaded = 0 then 'no ' || feed || ' loaded' else 'none ' || period end;

-- A 0-1 share, empty without a denominator.
create or replace macro market.share(part, whole) as
    part / nullif(whole, 0);

-- The month a monthly report is of, one row: the calendar month holding the as-of day, read
-- through that day, against the whole month before.
create or replace macro market.report_month(as_of) as table
    select
        strftime(market.month_start(as_of, 0), '%Y-%m') as month,
        market.month_start(as_of, 0) as first_day,
        as_of::date as through,
        strftime(market.month_start(as_of, 1), '%Y-%m') as compared_with,
        market.month_start(as_of, 1) as previous_first_day,
        market.month_start(as_of, 0) - 1 as previous_last_day;
