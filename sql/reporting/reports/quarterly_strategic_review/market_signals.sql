-- Grain: one row per market signal category and impact (raw.market_signals, the Trend
-- Researcher's record), 'all' first: signals observed in the quarter holding the as-of day and in
-- the quarter before, and their mean strength (1-5). One row saying so when no signal is loaded,
-- or when none falls in either quarter.
with
quarters as (
    select * from reporting.strategic_quarters($as_of)
),

signals as (
    select
        quarters.is_current,
        market_signals.category,
        market_signals.impact,
        market_signals.strength,
    from raw.market_signals as market_signals
    inner join quarters
        on market_signals.observed_on between quarters.first_day and quarters.last_day
),

per_kind as (
    select
        coalesce(category, 'all') as category,
        coalesce(impact, 'all') as impact,
        count(*) filter (where is_current) as signals,
        count(*) filter (where not is_current) as previous_signals,
        round(avg(strength) filter (where is_current), 2) as mean_strength,
        round(avg(strength) filter (where not is_current), 2) as previous_mean_strength,
    from signals
    group by grouping sets ((), (category, impact))
    having count(*) > 0
),

missing as (
    select
        case
            when (select count(*) from raw.market_signals) = 0 then 'no market signals loaded'
            else 'no market signals in either quarter'
        end as category,
    where not exists (select 1 from signals)
)

select
    category,
    impact,
    signals,
    previous_signals,
    reporting.strategic_change_pct(signals, previous_signals) as signals_change_pct,
    mean_strength,
    previous_mean_strength,
from per_kind
union all by name
select category from missing
order by category = 'all' desc, signals desc nulls last, category, impact
