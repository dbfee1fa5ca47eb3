-- Grain: one row per calendar month of the window, cost category and (for marketing) channel.
-- Implements costs by category with marketing by channel (metrics.md, Revenue). Marketing comes
-- from raw.marketing_spend, which carries the channel; the other categories from raw.costs.
with
operating_costs as (
    select
        month,
        category,
        amount,
    from raw.costs
    where category <> 'marketing'
        -- costs and spend are dated by calendar day already: no timezone to apply
        and month >= ($window_start at time zone $reporting_timezone)::date
        and month < ($window_end at time zone $reporting_timezone)::date
),

marketing as (
    select
        date_trunc('month', spend_date)::date as month,
        -- spend that no channel can claim enters only the blended CAC
        coalesce(channel, '(unattributed)') as channel,
        amount,
    from raw.marketing_spend
    where spend_date >= ($window_start at time zone $reporting_timezone)::date
        and spend_date < ($window_end at time zone $reporting_timezone)::date
)

select
    month,
    category,
    '(none)' as channel,
    sum(amount) as amount,
from operating_costs
group by all
union all
select
    month,
    'marketing' as category,
    channel,
    sum(amount) as amount,
from marketing
group by all
