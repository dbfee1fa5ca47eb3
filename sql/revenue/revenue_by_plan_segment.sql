-- Grain: one row per calendar month (reporting timezone) of the window, plan and segment.
-- Implements revenue by plan and by segment at month end: the plan in force at the month's last
-- instant (metrics.md, Revenue); roll up either dimension by summing.
with
paying_periods as (
    select
        customer_id,
        plan,
        monthly_amount,
        started_at,
        ended_at,
    from raw.subscription_periods
    where status in ('active', 'past_due')
        and monthly_amount > 0
        and started_at < $window_end
),

users as (
    select
        user_id as customer_id,
        segment,
    from raw.users
),

month_ends as (
    select
        month_start::date as month,
        -- months are cut in the reporting timezone; MRR is taken at a month's last instant
        (month_start + interval 1 month) at time zone $reporting_timezone as next_month_start,
    from generate_series(
        $window_start at time zone $reporting_timezone,
        ($window_end at time zone $reporting_timezone) - interval 1 month,
        interval 1 month
    ) as months(month_start)
),

in_force as (
    select
        month_ends.month,
        paying_periods.customer_id,
        paying_periods.plan,
        paying_periods.monthly_amount,
    from paying_periods
    inner join month_ends
        on paying_periods.started_at < month_ends.next_month_start
        and (
            paying_periods.ended_at is null
            or paying_periods.ended_at >= month_ends.next_month_start
        )
)

select
    in_force.month,
    in_force.plan,
    coalesce(users.segment, 'unknown') as segment,
    count(distinct in_force.customer_id) as customers,
    sum(in_force.monthly_amount) as mrr,
    12 * sum(in_force.monthly_amount) as arr,
from in_force
left join users using (customer_id)
group by all
