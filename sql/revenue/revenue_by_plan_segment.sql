-- Grain: one row per calendar month (reporting timezone) of the window, plan and segment.
-- Implements revenue by plan and by segment at month end: the plan in force at the month's last
-- instant (metrics.md, Revenue); roll up either dimension by summing.
with
in_force as (
    select
        month,
        customer_id,
        plan,
        monthly_amount,
    from revenue.periods_in_force(
        $window_start at time zone $reporting_timezone, $window_end, $reporting_timezone
    )
),

users as (
    select
        user_id as customer_id,
        segment,
    from raw.users
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
