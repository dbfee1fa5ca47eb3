-- Grain: one row per feature of growth.feature_adoption_monthly in the month holding $as_of
-- or the month before: users of the feature and adoption (share of the month's active users,
-- in percent) against the month before, the change in percentage points. Without a row for
-- either month (no feature usage loaded), one row saying so.
with
adoption as (
    select
        feature_adoption_monthly.feature,
        any_value(feature_adoption_monthly.feature_users) filter (
            where feature_adoption_monthly.month_start = months.month_start
        ) as feature_users,
        any_value(feature_adoption_monthly.adoption_pct) filter (
            where feature_adoption_monthly.month_start = months.month_start
        ) as adoption_pct,
        any_value(feature_adoption_monthly.adoption_pct) filter (
            where feature_adoption_monthly.month_start = months.previous_start
        ) as adoption_pct_month_before,
    from growth.feature_adoption_monthly
    inner join growth.review_months($as_of) as months
        on feature_adoption_monthly.month_start in (months.previous_start, months.month_start)
    group by feature_adoption_monthly.feature
)

select
    feature,
    feature_users,
    adoption_pct,
    adoption_pct_month_before,
    round(adoption_pct - adoption_pct_month_before, 2) as change_pct_points,
from adoption
union all
select
    'no feature usage in ' || strftime(months.previous_start, '%Y-%m') || ' or '
    || strftime(months.month_start, '%Y-%m') || ' (raw.feature_usage)',
    null,
    null,
    null,
    null,
from growth.review_months($as_of) as months
where not exists (select 1 from adoption)
order by adoption_pct desc nulls last, feature
