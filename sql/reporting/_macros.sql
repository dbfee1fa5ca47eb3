-- Shared steps of the reporting queries and report sections, as DuckDB macros (created before
-- each of the domain's queries and sections). DuckDB binds a macro's tables when it is created,
-- and the baseline's query runs them all, so a macro here reads no warehouse table: a section
-- passes its own rows in (query_table on one of its CTEs), which keeps the tables it reads in
-- its own text, where its dependencies are parsed from.

-- One row: the month a monthly report is of (its first day to the as-of day, the month's last
-- day once the month is over) and the whole month before it.
create or replace macro reporting.month_bounds(as_of) as table
    select
        date_trunc('month', as_of)::date as month_start,
        as_of::date as month_end,
        (date_trunc('month', as_of) - interval 1 month)::date as before_start,
        (date_trunc('month', as_of) - interval 1 day)::date as before_end;

-- Two rows: the month of reporting.month_bounds (is_this_month) and the month before, each with
-- its first and last day.
create or replace macro reporting.months_compared(as_of) as table
    select
        true as is_this_month,
        month_start as first_day,
        month_end as last_day,
    from reporting.month_bounds(as_of)
    union all
    select
        false,
        before_start,
        before_end,
    from reporting.month_bounds(as_of);

-- One row per measure of `measures` (the name of the caller's CTE with position, measure,
-- is_this_month and value): the month's value, the month before's and the change, in the
-- measure's unit; empty where a month has no value.
create or replace macro reporting.against_month_before(measures) as table
    select
        measure,
        round(max(value) filter (where is_this_month), 2) as this_month,
        round(max(value) filter (where not is_this_month), 2) as month_before,
        round(
            max(value) filter (where is_this_month)
            - max(value) filter (where not is_this_month),
            2
        ) as change,
    from query_table(measures)
    group by position, measure
    order by position;

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

-- The latest month of `months` (the name of the caller's CTE with a `month` column, a table's
-- monthly rows) in each quarter of reporting.strategic_quarters: one row per quarter that has one,
-- is_current and month.
create or replace macro reporting.strategic_latest_months(as_of, months) as table
    select
        quarters.is_current,
        max(months.month) as month,
    from reporting.strategic_quarters(as_of) as quarters
    inner join query_table(months) as months
        on months.month between quarters.first_day and quarters.last_day
    group by quarters.is_current;

-- QoQ change of a figure in percent of the quarter before, one decimal; NULL without a figure
-- before (or one of 0).
create or replace macro reporting.strategic_change_pct(current_value, previous_value) as
    round(100.0 * (current_value - previous_value) / nullif(previous_value, 0), 1);
-- ---- end quarterly_strategic_review ----------------------------------------------------------
