-- Grain: one row per paid channel (marketing spend above 0 in the month holding $as_of,
-- revenue.unit_economics, 'blended' aside): spend, new paying customers, CAC, the mean CAC of
-- the paid channels with a CAC, CAC against that mean in percent, and the suggested change: 10 %
-- of the highest-CAC channel's spend moved to the lowest-CAC channel (a rule, not a forecast;
-- a channel with spend and no new customer has no CAC and is flagged). Fewer than two channels
-- with a CAC: no shift. Without paid channels, one row saying so.
with
rule as (
    select 0.10 as shift_share,
),

paid as (
    select
        unit_economics.channel,
        unit_economics.spend,
        unit_economics.new_customers,
        unit_economics.cac,
    from revenue.unit_economics
    inner join growth.review_months($as_of) as months
        on unit_economics.month = months.month_start
    where unit_economics.channel <> 'blended'
        and unit_economics.spend > 0
),

ranked as (
    select
        *,
        avg(cac) over () as mean_cac,
        count(cac) over () as channels_with_cac,
        row_number() over (order by cac desc nulls last, channel) as rank_highest,
        row_number() over (order by cac nulls last, channel) as rank_lowest,
    from paid
),

shift as (
    select
        round(ranked.spend * rule.shift_share, 2) as amount,
    from ranked
    cross join rule
    where ranked.rank_highest = 1
        and ranked.channels_with_cac >= 2
)

select
    ranked.channel,
    ranked.spend,
    ranked.new_customers,
    ranked.cac,
    round(ranked.mean_cac, 2) as mean_cac,
    round(100.0 * (ranked.cac - ranked.mean_cac) / nullif(ranked.mean_cac, 0), 1)
        as cac_vs_mean_pct,
    case
        when ranked.cac is null then 0
        when ranked.channels_with_cac >= 2 and ranked.rank_highest = 1 then -shift.amount
        when ranked.channels_with_cac >= 2 and ranked.rank_lowest = 1 then shift.amount
        else 0
    end as suggested_change,
    case
        when ranked.cac is null then 'spend without a new paying customer: review'
        when ranked.channels_with_cac < 2 then 'keep: no other channel with a CAC to compare'
        when ranked.rank_highest = 1 then 'shift 10 % out: highest CAC'
        when ranked.rank_lowest = 1 then 'shift in: lowest CAC'
        else 'keep'
    end as suggestion,
from ranked
left join shift on true
union all
select
    'no paid channel in ' || strftime(months.month_start, '%Y-%m')
    || ': no marketing spend in revenue.unit_economics',
    null,
    null,
    null,
    null,
    null,
    null,
    null,
from growth.review_months($as_of) as months
where not exists (select 1 from paid)
order by cac desc nulls first, channel
