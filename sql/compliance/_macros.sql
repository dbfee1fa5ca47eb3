-- Shared steps of the compliance queries, as DuckDB macros (run before the domain's queries).
-- A macro sees no bound parameters: the window and the reporting timezone come in as arguments.

-- One row per calendar month (reporting timezone) of the window [window_start, window_end):
-- its first day, the day after its last, and both as instants. A control is evaluated as of the
-- month's end.
create or replace macro compliance.window_months(window_start, window_end, reporting_timezone)
as table
    select
        months.month::date as period_month,
        (months.month + interval 1 month)::date as next_month,
        months.month::timestamp at time zone reporting_timezone as starts_at,
        (months.month + interval 1 month)::timestamp at time zone reporting_timezone as ends_at,
    from generate_series(
        date_trunc('month', window_start at time zone reporting_timezone),
        (window_end at time zone reporting_timezone) - interval 1 day,
        interval 1 month
    ) as months(month);

-- A regulatory obligation as the status report lists it (its overdue and its upcoming sections):
-- a row of compliance.obligation_deadlines passed whole, its columns in the report's order. It
-- reads no table, so every compliance query can create it before that table exists.
create or replace macro compliance.obligation_listed(obligation) as struct_pack(
    due_on := obligation.due_on,
    days_left := obligation.days_left,
    regulation := obligation.regulation,
    jurisdiction := obligation.jurisdiction,
    requirement := obligation.requirement,
    owner := obligation.owner,
    status := obligation.status,
    obligation_id := obligation.obligation_id
);
