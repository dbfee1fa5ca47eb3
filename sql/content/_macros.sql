-- Shared steps of the content queries, as DuckDB macros (run before the domain's queries).
-- A macro sees no bound parameters: the reporting timezone comes in as an argument. DuckDB binds
-- a macro's body when it is created; both read raw.content_posts and content.posting_targets,
-- which every content query depends on.

-- One row per post published from the first post's day through the day the weeks are evaluated
-- through (content.posting_targets.evaluated_through), with its day and ISO week (Monday first)
-- cut in the reporting timezone. Posts after that day belong to a day not complete yet.
create or replace macro content.evaluated_posts(reporting_timezone) as table
    with
    posts as (
        select
            post_id,
            platform,
            post_type,
            published_at,
            impressions,
            engagements,
            -- cut the day in the reporting timezone
            (published_at at time zone reporting_timezone)::date as post_day,
        from raw.content_posts
    )

    select
        posts.*,
        date_trunc('week', posts.post_day)::date as week_start,
    from posts
    where posts.post_day <= (select max(evaluated_through) from content.posting_targets);

-- One row per day from the first post's day through evaluated_through, with its ISO week: the
-- days the targets are held against, days without a post included. No post, no days.
create or replace macro content.evaluated_days(reporting_timezone) as table
    with
    bounds as (
        select
            min((published_at at time zone reporting_timezone)::date) as first_day,
            (select max(evaluated_through) from content.posting_targets) as last_day,
        from raw.content_posts
    )

    select
        day::date as post_day,
        date_trunc('week', day)::date as week_start,
    from bounds
    cross join generate_series(bounds.first_day, bounds.last_day, interval 1 day) as days(day);

-- The ISO weeks of content.evaluated_days: days_observed of the week's 7 lie within the data;
-- a week is complete when all 7 do.
create or replace macro content.evaluated_weeks(reporting_timezone) as table
    select
        week_start,
        count(*) as days_observed,
        count(*) = 7 as is_complete,
    from content.evaluated_days(reporting_timezone)
    group by week_start;

-- The first Monday of the fortnight a bi-weekly report as of `as_of` is of: the two complete ISO
-- weeks ending on or before it (the period's own two weeks when as_of is their Sunday; a week
-- still running is not judged against weekly targets).
create or replace macro content.fortnight_start(as_of) as
    cast(date_trunc('week', as_of + 1) as date) - 14;
