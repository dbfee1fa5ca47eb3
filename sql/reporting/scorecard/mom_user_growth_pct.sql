-- MoM user growth as of $as_of (metrics.md, scorecard): MAU of the month to date against MAU of the
-- same days of the month before (to its end at most); NULL when that month had no active users.
with
bounds as (
    select
        date_trunc('month', $as_of)::date as month_start,
        (date_trunc('month', $as_of) - interval 1 month)::date as previous_start,
),

windows as (
    select
        month_start,
        previous_start,
        -- a complete month against the whole month before; a running one against its same days
        case
            when $as_of = last_day($as_of) then month_start - 1
            else least(previous_start + ($as_of - month_start)::integer, month_start - 1)
        end as previous_through,
    from bounds
),

active as (
    select
        count(distinct user_id) filter (
            where activity_date >= windows.month_start and activity_date <= $as_of
        ) as mau,
        count(distinct user_id) filter (
            where activity_date >= windows.previous_start
                and activity_date <= windows.previous_through
        ) as previous_mau,
    from growth.user_activity_days
    cross join windows
    where activity_date >= windows.previous_start
        and activity_date <= $as_of
)

select
    100.0 * (mau - previous_mau) / nullif(previous_mau, 0) as value,
from active
