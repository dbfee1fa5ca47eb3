-- Grain: one row per calendar month of the 12 ending with the month reported (through the as-of
-- day): signals per impact, 0 in a month without any; no rows when the feed is empty.
with
months as (
    select
        month::date as month,
    from generate_series(
        market.month_start($as_of, 11), market.month_start($as_of, 0), interval 1 month
    ) as months(month)
),

signals as (
    select
        market.month_start(observed_on, 0) as month,
        impact,
    from raw.market_signals
    where market.in_months(observed_on, $as_of, 12)
)

select
    months.month,
    count(signals.impact) filter (where signals.impact = 'opportunity') as opportunity,
    count(signals.impact) filter (where signals.impact = 'threat') as threat,
    count(signals.impact) filter (where signals.impact = 'neutral') as neutral,
from months
left join signals on months.month = signals.month
where exists (select 1 from raw.market_signals)
group by months.month
order by months.month
