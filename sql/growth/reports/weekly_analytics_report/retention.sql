-- Grain: one row per signup-week cohort of growth.cohort_retention_weekly, the 6 latest whose
-- week 1 is mature: 'on' retention in percent in week 0 to 8 after signup (empty while immature).
with
mature_cohorts as (
    select
        signup_week,
    from growth.cohort_retention_weekly
    where week_number = 1
        and retention_pct is not null
        and signup_week + 13 <= $as_of
    order by signup_week desc
    limit 6
)

select
    cells.signup_week,
    any_value(cells.cohort_size) as cohort_size,
    any_value(cells.retention_pct) filter (where cells.week_number = 0) as week_0_pct,
    any_value(cells.retention_pct) filter (where cells.week_number = 1) as week_1_pct,
    any_value(cells.retention_pct) filter (where cells.week_number = 2) as week_2_pct,
    any_value(cells.retention_pct) filter (where cells.week_number = 3) as week_3_pct,
    any_value(cells.retention_pct) filter (where cells.week_number = 4) as week_4_pct,
    any_value(cells.retention_pct) filter (where cells.week_number = 6) as week_6_pct,
    any_value(cells.retention_pct) filter (where cells.week_number = 8) as week_8_pct,
from growth.cohort_retention_weekly as cells
inner join mature_cohorts using (signup_week)
group by cells.signup_week
order by cells.signup_week desc
