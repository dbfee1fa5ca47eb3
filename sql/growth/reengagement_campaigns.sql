-- Grain: one row per re-engagement campaign.
-- Implements re-engagement results (metrics.md, Growth): share of targeted users active again
-- within growth_reengagement_days after selection, against the held-out comparison group (NULL
-- without one).
with
bounds as (
    select
        max(activity_date) as data_through,
    from growth.user_activity_days
),

targets as (
    select
        campaign_id,
        user_id,
        target_group,
        -- cut the selection day in the reporting timezone
        (selected_at at time zone $reporting_timezone)::date as selected_date,
    from raw.campaign_targets
),

reengaged as (
    select distinct
        targets.campaign_id,
        targets.user_id,
    from targets
    inner join growth.user_activity_days
        on user_activity_days.user_id = targets.user_id
        and user_activity_days.activity_date > targets.selected_date
        and user_activity_days.activity_date <= targets.selected_date + $growth_reengagement_days
),

outcomes as (
    select
        targets.campaign_id,
        max(targets.selected_date) + $growth_reengagement_days <= any_value(bounds.data_through)
            as is_complete,
        count(*) filter (where targets.target_group = 'targeted') as targeted_users,
        count(reengaged.user_id) filter (where targets.target_group = 'targeted')
            as targeted_reengaged,
        count(*) filter (where targets.target_group = 'holdout') as holdout_users,
        count(reengaged.user_id) filter (where targets.target_group = 'holdout')
            as holdout_reengaged,
    from targets
    cross join bounds
    left join reengaged using (campaign_id, user_id)
    group by targets.campaign_id
),

rates as (
    select
        campaign_id,
        is_complete,
        targeted_users,
        targeted_reengaged,
        holdout_users,
        holdout_reengaged,
        100.0 * targeted_reengaged / nullif(targeted_users, 0) as targeted_pct,
        100.0 * holdout_reengaged / nullif(holdout_users, 0) as holdout_pct,
    from outcomes
)

select
    rates.campaign_id,
    campaigns.name,
    campaigns.channel,
    campaigns.started_at,
    rates.is_complete,
    rates.targeted_users,
    rates.targeted_reengaged,
    round(rates.targeted_pct, 2) as targeted_reengaged_pct,
    rates.holdout_users,
    rates.holdout_reengaged,
    round(rates.holdout_pct, 2) as holdout_reengaged_pct,
    round(rates.targeted_pct - rates.holdout_pct, 2) as uplift_pct_points,
from rates
left join raw.campaigns on campaigns.campaign_id = rates.campaign_id
order by rates.campaign_id
