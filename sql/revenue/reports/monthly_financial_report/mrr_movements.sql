-- Grain: one row per step of the report's month's MRR bridge (revenue.mrr_monthly): starting
-- MRR, new, expansion, reactivation, contraction, churn (negative) and ending MRR, with the
-- customers behind each step (expanding and contracting ones from revenue.mrr_movements).
with
reported as (
    select cast(date_trunc('month', $as_of + 1) - interval 1 month as date) as month
),

this_month as (
    select mrr_monthly.*,
    from revenue.mrr_monthly
    inner join reported using (month)
),

moved as (
    select
        count(*) filter (where mrr_movements.movement = 'expansion') as expanded,
        count(*) filter (where mrr_movements.movement = 'contraction') as contracted,
    from revenue.mrr_movements
    inner join reported using (month)
),

steps as (
    select 1 as position, 'starting MRR' as step, starting_mrr as amount,
        starting_customers as customers, from this_month
    union all select 2, 'new', new_mrr, new_customers, from this_month
    union all select 3, 'expansion', expansion_mrr, expanded, from this_month cross join moved
    union all select 4, 'reactivation', reactivation_mrr, reactivated_customers, from this_month
    union all select 5, 'contraction', contraction_mrr, contracted, from this_month cross join moved
    union all select 6, 'churn', churn_mrr, churned_customers, from this_month
    union all select 7, 'ending MRR', mrr, paying_customers, from this_month
)

select
    step,
    round(amount, 2) as amount,
    customers,
from steps
order by position
