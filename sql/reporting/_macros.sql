-- Shared steps of the reporting queries and report sections, as DuckDB macros (created before
-- them). A macro sees no bound parameters: the as-of day comes in as an argument.

-- ---- quarterly_strategic_review --------------------------------------------------------------
-- The two calendar quarters the Quarterly Strategic Review compares: one row each, the quarter
-- holding the as-of day (first day to the as-of day: a running quarter is partial) and the whole
-- quarter before. `quarter` reads 2025-Q3; `days` counts the days covered.
create or replace macro reporting.strategic_quarters(as_of) as table
    with
    this_quarter as (
        select
            true as is_current,
            date_trunc('quarter', as_of::date)::date as first_day,
            as_of::date as last_day,
    ),

    quarters as (
        select * from this_quarter
        union all
        select
            false as is_current,
            (first_day - interval 3 month)::date as first_day,
            (first_day - interval 1 day)::date as last_day,
        from this_quarter
    )

    select
        is_current,
        strftime(first_day, '%Y') || '-Q' || quarter(first_day) as quarter,
        first_day,
        last_day,
        date_diff('day', first_day, last_day) + 1 as days,
    from quarters;

-- QoQ change of a figure in percent of the quarter before, one decimal; NULL without a figure
-- before (or one of 0).
create or replace macro reporting.strategic_change_pct(current_value, previous_value) as
    round(100.0 * (current_value - previous_value) / nullif(previous_value, 0), 1);
-- ---- end quarterly_strategic_review ----------------------------------------------------------
