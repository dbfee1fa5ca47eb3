-- Shared steps of the experiment reports, as DuckDB macros (run before the domain's queries).
-- A macro sees no bound parameters: the day and the timezone come in as arguments. None reads a
-- table.

-- Whether an experiment was running on `day` (a local day of the reporting timezone): started by
-- its end, and not ended by then.
create or replace macro experiments.running_on(started_at, ended_at, day, reporting_timezone) as
    (started_at at time zone reporting_timezone)::date <= day
    and (ended_at is null or (ended_at at time zone reporting_timezone)::date > day);

-- Whether an experiment ended in the bi-weekly fortnight as of `day`: the two ISO weeks ending
-- with the one holding it, up to the day.
create or replace macro experiments.ended_in_fortnight(ended_at, day, reporting_timezone) as
    (ended_at at time zone reporting_timezone)::date
        between cast(date_trunc('week', day) as date) - 7 and day;

-- Whether an experiment belongs in the bi-weekly summary as of `day`: ended in its fortnight, or
-- running on the day (the planned ones are in the pipeline only).
create or replace macro experiments.in_summary(
    status, started_at, ended_at, day, reporting_timezone
) as
    (status = 'completed' and experiments.ended_in_fortnight(ended_at, day, reporting_timezone))
    or (
        status <> 'planned'
        and experiments.running_on(started_at, ended_at, day, reporting_timezone)
    );
