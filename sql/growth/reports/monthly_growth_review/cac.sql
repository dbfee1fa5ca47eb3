-- Grain: one row per acquisition channel (then 'blended') of revenue.unit_economics in the month
-- holding $as_of or the month before: the month's spend, new paying customers, CAC and LTV:CAC
-- beside the month before's CAC and LTV:CAC, and the LTV:CAC trend (up, down, flat). Without a
-- row for the month (its unit economics not computed yet), one row saying so.
with
by_channel as (
    select
        unit_economics.channel,
        any_value(unit_economics.spend) filter (where unit_economics.month = months.month_start)
            as spend,
        any_value(unit_economics.new_customers) filter (
            where unit_economics.month = months.month_start
        ) as new_customers,
        any_value(unit_economics.cac) filter (where unit_economics.month = months.month_start)
            as cac,
        any_value(unit_economics.cac) filter (where unit_economics.month < months.month_start)
            as cac_month_before,
        any_value(unit_economics.ltv_to_cac) filter (
            where unit_economics.month = months.month_start
        ) as ltv_to_cac,
        any_value(unit_economics.ltv_to_cac) filter (
            where unit_economics.month < months.month_start
        ) as ltv_to_cac_month_before,
    from revenue.unit_economics
    inner join growth.review_months($as_of) as months
        on unit_economics.month between months.previous_start and months.month_start
    group by unit_economics.channel
    having count(*) filter (where unit_economics.month = months.month_start) > 0
)

select
    channel,
    spend,
    new_customers,
    cac,
    cac_month_before,
    round(ltv_to_cac, 2) as ltv_to_cac,
    round(ltv_to_cac_month_before, 2) as ltv_to_cac_month_before,
    case
        when round(ltv_to_cac, 2) > round(ltv_to_cac_month_before, 2) then 'up'
        when round(ltv_to_cac, 2) < round(ltv_to_cac_month_before, 2) then 'down'
        when round(ltv_to_cac, 2) = round(ltv_to_cac_month_before, 2) then 'flat'
    end as ltv_to_cac_trend,
from by_channel
union all
select
    'no unit economics computed for ' || strftime(months.month_start, '%Y-%m')
    || ' (revenue.unit_economics)',
    null,
    null,
    null,
    null,
    null,
    null,
    null,
from growth.review_months($as_of) as months
where not exists (select 1 from by_channel)
order by channel = 'blended', channel
