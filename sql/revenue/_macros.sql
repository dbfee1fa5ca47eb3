-- Shared steps of the revenue queries, as DuckDB macros (run before the domain's queries).
-- A macro sees no bound parameters: the window and the reporting timezone come in as
-- arguments. DuckDB binds a macro's body when it is created, so each macro below is created only
-- once the tables it reads exist; each reads only tables that every query calling it depends on.

-- One row per calendar month from the month beginning at months_from (a reporting-timezone
-- timestamp) to the last month before window_end, with the instant the month ends.
create or replace macro revenue.month_ends(months_from, window_end, reporting_timezone) as table
    select
        month_start::date as month,
        -- months are cut in the reporting timezone; MRR is taken at a month's last instant
        (month_start + interval 1 month) at time zone reporting_timezone as next_month_start,
    from generate_series(
        months_from,
        (window_end at time zone reporting_timezone) - interval 1 month,
        interval 1 month
    ) as months(month_start);

-- One row per calendar month (reporting timezone) of the window [window_start, window_end).
create or replace macro revenue.window_months(window_start, window_end, reporting_timezone)
as table
    select
        month,
    from revenue.month_ends(
        window_start at time zone reporting_timezone, window_end, reporting_timezone
    );

-- One row per subscription period that carries MRR and began before started_before: trials,
-- free plans and canceled-but-running periods carry none (metrics.md, Revenue).
create or replace macro revenue.paying_periods(started_before) as table
    select
        customer_id,
        plan,
        monthly_amount,
        started_at,
        ended_at,
    from raw.subscription_periods
    where status in ('active', 'past_due')
        and monthly_amount > 0
        and started_at < started_before;

-- One row per paying period in force at the end of a month, for each month from the month
-- beginning at months_from to the last month before window_end (see revenue.month_ends).
create or replace macro revenue.periods_in_force(months_from, window_end, reporting_timezone)
as table
    select
        month_ends.month,
        paying_periods.customer_id,
        paying_periods.plan,
        paying_periods.monthly_amount,
    from revenue.paying_periods(window_end) as paying_periods
    inner join revenue.month_ends(months_from, window_end, reporting_timezone) as month_ends
        on paying_periods.started_at < month_ends.next_month_start
        and (
            paying_periods.ended_at is null
            or paying_periods.ended_at >= month_ends.next_month_start
        );
