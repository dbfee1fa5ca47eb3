-- Grain: one row per segment and product in the latest month of voice.nps_monthly complete by
-- $as_of (its last day on or before it); one row 'none' when no month with answers is.
with
breakdowns as (
    select
        breakdown,
        breakdown_value,
        responses,
        nps,
        nps_ci_low,
        nps_ci_high,
    from voice.nps_monthly
    where breakdown <> 'all'
        and month = (select max(month) from voice.nps_monthly where last_day(month) <= $as_of)
)

select
    *,
from breakdowns
union all
select
    'none: no complete month with NPS answers by ' || $as_of,
    null,
    null,
    null,
    null,
    null,
where not exists (select 1 from breakdowns)
order by breakdown, breakdown_value
