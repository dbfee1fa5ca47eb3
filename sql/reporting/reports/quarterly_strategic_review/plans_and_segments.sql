-- Grain: one row per plan and one per customer segment (revenue.revenue_by_plan_segment), 'all'
-- first: paying customers, MRR and ARPA = MRR / customers at the end of the latest complete month
-- in the quarter holding the as-of day, against the same in the quarter before, and the plan's or
-- segment's share of MRR (the plan mix).
with
plan_segment_months as (
    select month, from revenue.revenue_by_plan_segment
),

grouped as (
    select
        case
            when grouping(revenue.plan) = 0 then 'plan'
            when grouping(revenue.segment) = 0 then 'segment'
            else 'all'
        end as breakdown,
        coalesce(revenue.plan, revenue.segment, 'all') as value,
        max(revenue.month) filter (where latest_months.is_current) as month,
        sum(revenue.customers) filter (where latest_months.is_current) as customers,
        sum(revenue.customers) filter (where not latest_months.is_current) as previous_customers,
        sum(revenue.mrr) filter (where latest_months.is_current) as mrr,
        sum(revenue.mrr) filter (where not latest_months.is_current) as previous_mrr,
    from revenue.revenue_by_plan_segment as revenue
    inner join reporting.strategic_latest_months($as_of, plan_segment_months) as latest_months
        using (month)
    group by grouping sets ((), (revenue.plan), (revenue.segment))
)

select
    breakdown,
    value,
    max(month) over () as month,
    customers::bigint as customers,
    previous_customers::bigint as previous_customers,
    mrr,
    previous_mrr,
    reporting.strategic_change_pct(mrr, previous_mrr) as mrr_change_pct,
    round(mrr / nullif(customers, 0), 2) as arpa,
    round(previous_mrr / nullif(previous_customers, 0), 2) as previous_arpa,
    round(100.0 * mrr / nullif(sum(mrr) filter (where breakdown = 'all') over (), 0), 1)
        as mrr_share_pct,
from grouped
order by breakdown = 'all' desc, breakdown, mrr desc nulls last, value
