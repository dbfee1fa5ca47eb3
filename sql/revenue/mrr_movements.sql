-- Grain: one row per customer and calendar month (reporting timezone) of the window, for every
-- customer with MRR at the end of that month or of the month before.
-- Implements MRR at month end and the MRR movements (metrics.md, Revenue: Stripe/ChartMogul).
with
history as (
    select
        -- looks back to the first period ever: new and reactivation depend on the whole history
        date_trunc('month', min(started_at at time zone $reporting_timezone)) as first_month_start,
    from revenue.paying_periods($window_end)
),

month_ends as (
    select
        month,
    from revenue.month_ends(
        (select first_month_start from history), $window_end, $reporting_timezone
    )
),

customer_mrr as (
    -- MRR at month end: the periods in force at the month's last instant
    select
        customer_id,
        month,
        sum(monthly_amount) as mrr,
    from revenue.periods_in_force(
        (select first_month_start from history), $window_end, $reporting_timezone
    )
    group by all
),

first_paying_months as (
    select
        customer_id,
        min(month) as first_paying_month,
    from customer_mrr
    group by customer_id
),

window_months as (
    select
        month,
    from month_ends
    where month >= ($window_start at time zone $reporting_timezone)::date
),

customer_months as (
    select
        customer_id,
        month,
    from customer_mrr
    where month in (select month from window_months)
    union
    select
        customer_id,
        (month + interval 1 month)::date as month,
    from customer_mrr
    where (month + interval 1 month)::date in (select month from window_months)
),

paired as (
    select
        customer_months.month,
        customer_months.customer_id,
        coalesce(previous.mrr, 0) as previous_mrr,
        coalesce(current.mrr, 0) as mrr,
        first_paying_months.first_paying_month,
    from customer_months
    inner join first_paying_months using (customer_id)
    left join customer_mrr as current
        on current.customer_id = customer_months.customer_id
        and current.month = customer_months.month
    left join customer_mrr as previous
        on previous.customer_id = customer_months.customer_id
        and previous.month = (customer_months.month - interval 1 month)::date
)

select
    month,
    customer_id,
    previous_mrr,
    mrr,
    case when previous_mrr = 0 and first_paying_month = month then mrr else 0 end as new_mrr,
    case when previous_mrr > 0 and mrr > previous_mrr then mrr - previous_mrr else 0 end
        as expansion_mrr,
    case when previous_mrr > 0 and mrr > 0 and mrr < previous_mrr then mrr - previous_mrr else 0 end
        as contraction_mrr,
    case when previous_mrr > 0 and mrr = 0 then -previous_mrr else 0 end as churn_mrr,
    case when previous_mrr = 0 and first_paying_month < month then mrr else 0 end
        as reactivation_mrr,
    case
        when previous_mrr = 0 and first_paying_month = month then 'new'
        when previous_mrr = 0 then 'reactivation'
        when mrr = 0 then 'churn'
        when mrr > previous_mrr then 'expansion'
        when mrr < previous_mrr then 'contraction'
        else 'retained'
    end as movement,
from paired
