-- Grain: one row per quarter compared (the one holding the as-of day first): tech-debt work items
-- (delivery.work_item_flow, item_type tech_debt) filed and done in the quarter, open at its last
-- day (filed by then, not done by then) with their median age in days, and tech debt's share of
-- all items done in the quarter (of the team's capacity). Days are cut in the reporting
-- timezone; quarantined items (done before they started) count nowhere. One row saying so when
-- no tech-debt item is loaded.
with
quarters as (
    select * from reporting.strategic_quarters($as_of)
),

items as (
    select
        item_type = 'tech_debt' as is_tech_debt,
        -- days in the reporting timezone
        (created_at at time zone $reporting_timezone)::date as created_day,
        (done_at at time zone $reporting_timezone)::date as done_day,
    from delivery.work_item_flow
    where flow_state <> 'quarantined'
),

per_quarter as (
    select
        quarters.is_current,
        quarters.quarter,
        count(*) filter (
            where items.is_tech_debt and items.created_day >= quarters.first_day
        ) as filed,
        count(*) filter (
            where items.is_tech_debt
                and items.done_day between quarters.first_day and quarters.last_day
        ) as done,
        count(*) filter (
            where items.is_tech_debt and items.open_at_end
        ) as open_at_end,
        median(date_diff('day', items.created_day, quarters.last_day)) filter (
            where items.is_tech_debt and items.open_at_end
        ) as open_median_age_days,
        count(*) filter (
            where items.done_day between quarters.first_day and quarters.last_day
        ) as all_done,
    from quarters
    inner join lateral (
        select
            *,
            coalesce(done_day > quarters.last_day, true) as open_at_end,
        from items
        where items.created_day <= quarters.last_day
    ) as items on true
    group by all
)

select
    quarter,
    filed,
    done,
    open_at_end,
    open_median_age_days,
    round(100.0 * done / nullif(all_done, 0), 1) as share_of_done_pct,
from per_quarter
where exists (select 1 from items where is_tech_debt)
union all by name
select 'no tech-debt items loaded' as quarter
where not exists (select 1 from items where is_tech_debt)
order by quarter desc
