-- Grain: one row per customer and calendar month (reporting timezone) of the window, for every
-- customer with MRR at the end of that month or of the month before.
-- Implements MRR at month end and the MRR movements (metrics.md, Revenue: Stripe/ChartMogul).
with
paying_periods as (
    select
        customer_id,
        monthly_amount,
        started_at,
        ended_at,
    from raw.subscription_periods
    -- trials, free plans and canceled-but-running periods carry no MRR
    where status in ('active', 'past_due')
        and monthly_amount > 0
        -- looks back to the first period ever: new and reactivation depend on the whole history
        and started_at < $window_end
),

month_ends as (
    select
        month_start::date as month,
        -- months are cut in the reporting timezone; MRR is taken at a month's last instant
        (month_start + interval 1 month) at time zone $reporting_timezone as next_month_start,
    from generate_series(
        (
            select date_trunc('month', min(started_at at time zone $reporting_timezone))
            from paying_periods
        ),
        ($window_end at time zone $reporting_timezone) - interval 1 month,
        interval 1 month
    ) as months(month_start)
),

customer_mrr as (
    select
        paying_periods.customer_id,
        month_ends.month,
        sum(paying_periods.monthly_amount) as mrr,
    from paying_periods
    inner join month_ends
        on paying_periods.started_at < month_ends.next_month_start
        and (
            paying_periods.ended_at is null
            or paying_periods.ended_at >= month_ends.next_month_start
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
