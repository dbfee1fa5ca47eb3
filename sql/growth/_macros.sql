-- Shared steps of the growth queries, as DuckDB macros (run before the domain's queries).
-- A macro sees no bound parameters: the window, the reporting timezone and settings come in as
-- arguments. DuckDB binds a macro's body when it is created, so each macro below is created only
-- once the tables it reads exist; each reads only tables that every query calling it depends on.

-- The last day of a period ('day', 'week' = ISO week from Monday, 'month') that starts on
-- period_start: a period is complete once this day has been computed.
create or replace macro growth.period_last_day(grain, period_start) as
    (period_start + ('1 ' || grain)::interval)::date - 1;

-- The last day activity has been computed for: the latest day in growth.user_activity_days, and at
-- least the last day of a window ending at window_end (NULL: the latest day alone).
create or replace macro growth.data_through(window_end, reporting_timezone) as
    greatest(
        (window_end::timestamptz at time zone reporting_timezone)::date - 1,
        (select max(activity_date) from growth.user_activity_days)
    );

-- One row per calendar day (reporting timezone) of the window [window_start, window_end).
create or replace macro growth.window_days(window_start, window_end, reporting_timezone) as table
    select
        day::date as activity_date,
    from generate_series(
        (window_start at time zone reporting_timezone)::date,
        (window_end at time zone reporting_timezone)::date - 1,
        interval 1 day
    ) as days(day);

-- One row per qualifying event in [window_start, window_end) (metrics.md, Growth): every event
-- qualifies; events before the user's signup, and events of users unknown to raw.users, do not.
-- Days are cut in the reporting timezone.
create or replace macro growth.qualifying_events(window_start, window_end, reporting_timezone)
as table
    with
    users as (
        select
            user_id,
            signup_at,
            (signup_at at time zone reporting_timezone)::date as signup_date,
        from raw.users
    ),

    window_events as (
        select
            user_id,
            occurred_at,
        from raw.events
        where occurred_at >= window_start
            and occurred_at < window_end
    )

    select
        window_events.user_id,
        users.signup_date,
        (window_events.occurred_at at time zone reporting_timezone)::date as activity_date,
    from window_events
    inner join users on window_events.user_id = users.user_id
    where window_events.occurred_at >= users.signup_at;

-- One row per user who signed up in [window_start, window_end), with the signup day cut in the
-- reporting timezone.
create or replace macro growth.cohort_users(window_start, window_end, reporting_timezone) as table
    select
        user_id,
        signup_at,
        (signup_at at time zone reporting_timezone)::date as signup_date,
    from raw.users
    where signup_at >= window_start
        and signup_at < window_end;

-- One row per user who signed up in [window_start, window_end) and performed activation_event
-- within within_days of signup (metrics.md: activation, and the funnel's activated stage).
create or replace macro growth.activated_users(
    window_start, window_end, reporting_timezone, activation_event, within_days
) as table
    with
    cohort_users as (
        select
            user_id,
            signup_at,
        from growth.cohort_users(window_start, window_end, reporting_timezone)
    ),

    activation_events as (
        select
            user_id,
            occurred_at,
        from raw.events
        where event_name = activation_event
            and occurred_at >= window_start
            -- looks within_days past the window: the last cohort's activation window
            and occurred_at < window_end + to_days(cast(within_days as integer))
    )

    select distinct
        cohort_users.user_id,
    from cohort_users
    inner join activation_events on activation_events.user_id = cohort_users.user_id
    where activation_events.occurred_at >= cohort_users.signup_at
        and activation_events.occurred_at
            < cohort_users.signup_at + to_days(cast(within_days as integer));

-- Cohort retention (metrics.md, Growth) at a grain ('day', 'week' = ISO week from Monday,
-- 'month'): one row per signup cohort (signup day cut in the reporting timezone, then its period)
-- and period number 0 (the signup period) to periods_tracked, or (NULL) to the last period begun
-- by the last computed day. "On" = users active in period N; "on or after" = active in period N
-- or a later tracked one. Cells of periods not complete by the last computed day are NULL.
-- Cohorts: signups in [signups_from, signups_before) (NULL: unbounded) up to the last computed day.
create or replace macro growth.cohort_retention(
    grain, reporting_timezone, signups_from := null, signups_before := null, periods_tracked := null
) as table
    with
    bounds as (
        select
            growth.data_through(signups_before, reporting_timezone) as data_through,
    ),

    cohort_users as (
        select
            user_id,
            date_trunc(grain, signup_date)::date as cohort_start,
        from growth.cohort_users(
            coalesce(signups_from, '-infinity'::timestamptz),
            coalesce(signups_before, 'infinity'::timestamptz),
            reporting_timezone
        )
        where signup_date <= (select data_through from bounds)
    ),

    cohorts as (
        select
            cohort_start,
            count(*) as cohort_size,
        from cohort_users
        group by cohort_start
    ),

    tracked as (
        select
            cohorts.cohort_start,
            cohorts.cohort_size,
            coalesce(
                periods_tracked,
                date_diff(grain, cohorts.cohort_start, date_trunc(grain, bounds.data_through)::date)
            ) as last_period_number,
        from cohorts
        cross join bounds
    ),

    cohort_periods as (
        select
            cohort_start,
            cohort_size,
            unnest(range(0, last_period_number + 1))::integer as period_number,
        from tracked
    ),

    cells as (
        select
            cohort_start,
            period_number,
            cohort_size,
            (cohort_start + period_number * ('1 ' || grain)::interval)::date as period_start,
        from cohort_periods
    ),

    user_periods as (
        select distinct
            cohort_users.cohort_start,
            cohort_users.user_id,
            date_diff(
                grain,
                cohort_users.cohort_start,
                date_trunc(grain, user_activity_days.activity_date)::date
            ) as period_number,
        from growth.user_activity_days
        inner join cohort_users on cohort_users.user_id = user_activity_days.user_id
    ),

    tracked_user_periods as (
        select
            user_periods.cohort_start,
            user_periods.user_id,
            user_periods.period_number,
        from user_periods
        inner join tracked on tracked.cohort_start = user_periods.cohort_start
        where user_periods.period_number <= tracked.last_period_number
    ),

    retained_on as (
        select
            cohort_start,
            period_number,
            count(*) as retained_users,
        from tracked_user_periods
        group by all
    ),

    last_period_seen as (
        select
            cohort_start,
            user_id,
            max(period_number) as last_period_number,
        from tracked_user_periods
        group by all
    ),

    retained_on_or_after as (
        select
            cells.cohort_start,
            cells.period_number,
            count(last_period_seen.user_id) as retained_on_or_after_users,
        from cells
        inner join last_period_seen
            on last_period_seen.cohort_start = cells.cohort_start
            and last_period_seen.last_period_number >= cells.period_number
        group by all
    ),

    measured as (
        select
            cells.cohort_start,
            cells.period_number,
            cells.period_start,
            cells.cohort_size,
            growth.period_last_day(grain, cells.period_start) <= bounds.data_through as is_mature,
            coalesce(retained_on.retained_users, 0) as retained_users,
            coalesce(retained_on_or_after.retained_on_or_after_users, 0)
                as retained_on_or_after_users,
        from cells
        cross join bounds
        left join retained_on using (cohort_start, period_number)
        left join retained_on_or_after using (cohort_start, period_number)
    )

    select
        cohort_start,
        period_number,
        period_start,
        cohort_size,
        case when is_mature then retained_users end as retained_users,
        case when is_mature then retained_on_or_after_users end as retained_on_or_after_users,
        case
            when is_mature then round(100.0 * retained_users / nullif(cohort_size, 0), 2)
        end as retention_pct,
        case
            when is_mature
                then round(100.0 * retained_on_or_after_users / nullif(cohort_size, 0), 2)
        end as retention_on_or_after_pct,
    from measured;

-- The monthly growth review's two months (reads no table): the month holding as_of, from its
-- first day to as_of, and the whole month before it.
create or replace macro growth.review_months(as_of) as table
    select
        date_trunc('month', as_of)::date as month_start,
        as_of::date as month_end,
        (date_trunc('month', as_of) - interval 1 month)::date as previous_start,
        date_trunc('month', as_of)::date - 1 as previous_end;
