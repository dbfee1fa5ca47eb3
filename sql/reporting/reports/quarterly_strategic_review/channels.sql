-- Grain: one row per acquisition channel, 'blended' (every channel) first: signups
-- (growth.signups_by_channel_daily) in the quarter holding the as-of day and the quarter
-- before, and from revenue.unit_economics over the quarter's complete months the new paying
-- customers, the marketing spend and CAC = spend / new paying customers (blended spend includes
-- spend no channel claims).
with
quarters as (
    select * from reporting.strategic_quarters($as_of)
),

signups as (
    select
        coalesce(signups.acquisition_channel, 'blended') as channel,
        sum(signups.signups) filter (where quarters.is_current) as signups,
        sum(signups.signups) filter (where not quarters.is_current) as previous_signups,
    from growth.signups_by_channel_daily as signups
    inner join quarters
        on signups.signup_date between quarters.first_day and quarters.last_day
    group by grouping sets ((), (signups.acquisition_channel))
),

acquisition as (
    select
        unit_economics.channel,
        sum(unit_economics.new_customers) filter (where quarters.is_current) as new_customers,
        sum(unit_economics.new_customers) filter (where not quarters.is_current)
            as previous_new_customers,
        sum(unit_economics.spend) filter (where quarters.is_current) as spend,
        sum(unit_economics.spend) filter (where not quarters.is_current) as previous_spend,
    from revenue.unit_economics as unit_economics
    inner join quarters
        on unit_economics.month between quarters.first_day and quarters.last_day
    group by unit_economics.channel
)

select
    channel,
    coalesce(signups.signups, 0)::bigint as signups,
    coalesce(signups.previous_signups, 0)::bigint as previous_signups,
    reporting.strategic_change_pct(signups.signups, signups.previous_signups)
        as signups_change_pct,
    acquisition.new_customers::bigint as new_customers,
    acquisition.previous_new_customers::bigint as previous_new_customers,
    acquisition.spend,
    round(acquisition.spend / nullif(acquisition.new_customers, 0), 2) as cac,
    round(acquisition.previous_spend / nullif(acquisition.previous_new_customers, 0), 2)
        as previous_cac,
from signups
full join acquisition using (channel)
order by channel = 'blended' desc, signups desc, channel
