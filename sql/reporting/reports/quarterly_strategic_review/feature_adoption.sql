-- Grain: one row per feature (growth.feature_adoption_monthly), the most adopted this quarter
-- first: adoption % (feature users / active users x 100) as the mean of the quarter's months (a
-- running month included), against the quarter before, and the change in percentage points.
with
quarters as (
    select * from reporting.strategic_quarters($as_of)
),

per_feature as (
    select
        adoption.feature,
        avg(adoption.adoption_pct) filter (where quarters.is_current) as adoption_pct,
        avg(adoption.adoption_pct) filter (where not quarters.is_current) as previous_adoption_pct,
        count(*) filter (where quarters.is_current) as months,
    from growth.feature_adoption_monthly as adoption
    inner join quarters
        on adoption.month_start between quarters.first_day and quarters.last_day
    group by adoption.feature
)

select
    feature,
    months,
    round(adoption_pct, 1) as adoption_pct,
    round(previous_adoption_pct, 1) as previous_adoption_pct,
    round(adoption_pct - previous_adoption_pct, 1) as adoption_change_pct_points,
from per_feature
order by adoption_pct desc nulls last, feature
