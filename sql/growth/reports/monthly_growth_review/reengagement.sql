-- Grain: one row per re-engagement campaign started in the month holding $as_of or the month
-- before (growth.reengagement_campaigns, start day in the reporting timezone), newest first:
-- users contacted, re-engaged within {growth_reengagement_days} days in percent, the holdout's
-- rate and the uplift in percentage points. Without one, one row saying so.
with
campaigns as (
    select
        reengagement_campaigns.*,
        timezone($reporting_timezone, reengagement_campaigns.started_at)::date as started_on,
    from growth.reengagement_campaigns
    inner join growth.review_months($as_of) as months
        on timezone($reporting_timezone, reengagement_campaigns.started_at)::date
            between months.previous_start and months.month_end
)

select
    campaign_id,
    channel,
    started_on,
    is_complete,
    targeted_users,
    targeted_reengaged_pct,
    holdout_users,
    holdout_reengaged_pct,
    uplift_pct_points,
from campaigns
union all
select
    'no re-engagement campaign started in ' || strftime(months.previous_start, '%Y-%m') || ' or '
    || strftime(months.month_start, '%Y-%m'),
    null,
    null,
    null,
    null,
    null,
    null,
    null,
    null,
from growth.review_months($as_of) as months
where not exists (select 1 from campaigns)
order by started_on desc nulls last, campaign_id
