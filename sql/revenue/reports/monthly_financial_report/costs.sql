-- Grain: one row per cost category of the report's month and the month before
-- (revenue.costs_monthly, marketing's channels summed), then the total: the amounts, the
-- change and the category's share of the month's costs in percent.
with
reported as (
    select cast(date_trunc('month', $as_of + 1) - interval 1 month as date) as month
),

by_category as (
    select
        costs_monthly.category,
        sum(costs_monthly.amount) filter (where costs_monthly.month = reported.month)
            as this_month,
        sum(costs_monthly.amount) filter (where costs_monthly.month < reported.month)
            as month_before,
    from revenue.costs_monthly
    inner join reported
        on costs_monthly.month between reported.month - interval 1 month and reported.month
    group by costs_monthly.category
),

with_total as (
    select 0 as position, category, this_month, month_before, from by_category
    union all
    select 1, 'total', sum(this_month), sum(month_before), from by_category
)

select
    category,
    coalesce(this_month, 0) as this_month,
    coalesce(month_before, 0) as month_before,
    coalesce(this_month, 0) - coalesce(month_before, 0) as change,
    round(
        100 * coalesce(this_month, 0)
        / nullif(sum(this_month) filter (where position = 0) over (), 0),
        1
    ) as share_pct,
from with_total
where exists (select 1 from by_category where this_month is not null)
order by position, category
