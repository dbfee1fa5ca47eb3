-- Grain: one row per period: the calendar quarter holding the as-of day (its first day to the
-- as-of day) and the whole quarter before (reporting timezone). Tech-debt items filed and done
-- in it, all items done (work_item_flow's 'done': an item done before it started counts
-- nowhere, as in the throughput of cycle_time_quarterly), and the share of capacity = tech-debt
-- items done / all items done, in percent.
with
bounds as (
    select
        date_trunc('quarter', $as_of::date)::date as quarter_start,
        (date_trunc('quarter', $as_of::date) - interval 3 month)::date as previous_start,
),

periods as (
    select
        quarter_start as period_start,
        $as_of::date as period_end,
    from bounds
    union all
    select
        previous_start as period_start,
        (quarter_start - 1)::date as period_end,
    from bounds
),

items as (
    select
        item_type = 'tech_debt' as is_tech_debt,
        flow_state,
        -- cut calendar days in the reporting timezone
        (created_at at time zone $reporting_timezone)::date as created_date,
        (done_at at time zone $reporting_timezone)::date as done_date,
    from delivery.work_item_flow
),

per_period as (
    select
        periods.period_start,
        periods.period_end,
        count(*) filter (
            where items.is_tech_debt
                and items.created_date between periods.period_start and periods.period_end
        ) as tech_debt_filed,
        count(*) filter (
            where items.is_tech_debt
                and items.flow_state = 'done'
                and items.done_date between periods.period_start and periods.period_end
        ) as tech_debt_done,
        count(*) filter (
            where items.flow_state = 'done'
                and items.done_date between periods.period_start and periods.period_end
        ) as items_done,
    from periods
    -- every period keeps its row, with zeros, when the tracker holds no item
    left join items on true
    group by all
)

select
    strftime(period_start, '%Y') || '-Q' || quarter(period_start) as quarter,
    period_start,
    period_end,
    tech_debt_filed,
    tech_debt_done,
    items_done,
    round(100.0 * tech_debt_done / nullif(items_done, 0), 1) as capacity_share_pct,
from per_period
order by period_start desc
