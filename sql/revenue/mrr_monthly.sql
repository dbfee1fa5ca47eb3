-- Grain: one row per calendar month (reporting timezone) of the window.
-- Implements MRR, ARR, ARPA, customer churn rate, gross and net MRR churn, NRR and GRR
-- (metrics.md, Revenue); rates are fractions, money is DECIMAL.
with
movements as (
    select
        month,
        previous_mrr,
        mrr,
        new_mrr,
        expansion_mrr,
        contraction_mrr,
        churn_mrr,
        reactivation_mrr,
        movement,
    from revenue.mrr_movements
    where month >= ($window_start at time zone $reporting_timezone)::date
        and month < ($window_end at time zone $reporting_timezone)::date
),

totals as (
    select
        month,
        sum(mrr) as mrr,
        count(*) filter (where mrr > 0) as paying_customers,
        sum(previous_mrr) as starting_mrr,
        count(*) filter (where previous_mrr > 0) as starting_customers,
        sum(new_mrr) as new_mrr,
        sum(expansion_mrr) as expansion_mrr,
        sum(contraction_mrr) as contraction_mrr,
        sum(churn_mrr) as churn_mrr,
        sum(reactivation_mrr) as reactivation_mrr,
        count(*) filter (where movement = 'new') as new_customers,
        count(*) filter (where movement = 'reactivation') as reactivated_customers,
        count(*) filter (where movement = 'churn') as churned_customers,
    from movements
    group by month
),

filled as (
    select
        calendar.month,
        coalesce(totals.mrr, 0)::decimal(38, 2) as mrr,
        coalesce(totals.paying_customers, 0) as paying_customers,
        coalesce(totals.starting_mrr, 0)::decimal(38, 2) as starting_mrr,
        coalesce(totals.starting_customers, 0) as starting_customers,
        coalesce(totals.new_mrr, 0)::decimal(38, 2) as new_mrr,
        coalesce(totals.expansion_mrr, 0)::decimal(38, 2) as expansion_mrr,
        coalesce(totals.contraction_mrr, 0)::decimal(38, 2) as contraction_mrr,
        coalesce(totals.churn_mrr, 0)::decimal(38, 2) as churn_mrr,
        coalesce(totals.reactivation_mrr, 0)::decimal(38, 2) as reactivation_mrr,
        coalesce(totals.new_customers, 0) as new_customers,
        coalesce(totals.reactivated_customers, 0) as reactivated_customers,
        coalesce(totals.churned_customers, 0) as churned_customers,
    from revenue.window_months($window_start, $window_end, $reporting_timezone) as calendar
    left join totals using (month)
)

select
    month,
    mrr,
    12 * mrr as arr,
    paying_customers,
    (mrr / nullif(paying_customers, 0))::decimal(18, 2) as arpa,
    starting_mrr,
    starting_customers,
    new_mrr,
    expansion_mrr,
    contraction_mrr,
    churn_mrr,
    reactivation_mrr,
    new_customers,
    reactivated_customers,
    churned_customers,
    churned_customers / nullif(starting_customers, 0) as customer_churn_rate,
    -(churn_mrr + contraction_mrr) / nullif(starting_mrr, 0) as gross_mrr_churn_rate,
    -(churn_mrr + contraction_mrr + expansion_mrr + reactivation_mrr) / nullif(starting_mrr, 0)
        as net_mrr_churn_rate,
    -- the starting customers' MRR now; new and reactivated customers were not among them
    (starting_mrr + expansion_mrr + contraction_mrr + churn_mrr) / nullif(starting_mrr, 0) as nrr,
    (starting_mrr + contraction_mrr + churn_mrr) / nullif(starting_mrr, 0) as grr,
    expansion_mrr as expansion_revenue,
    churn_mrr + contraction_mrr as churn_revenue_impact,
from filled
