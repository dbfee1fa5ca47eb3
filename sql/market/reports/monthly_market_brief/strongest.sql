-- Grain: up to $market_strongest_signals rows, the month's strongest signals (strength 1-5, an
-- unweighted one last, then the latest first); one note row when the month has none ("no market
-- signals loaded" when the feed is empty, else "none this month").
with
strongest as (
    select signal_id,
    from raw.market_signals
    where market.in_months(observed_on, $as_of, 1)
    order by strength desc nulls last, observed_on desc, signal_id
    limit $market_strongest_signals
)

select
    signals.strength,
    signals.subject,
    signals.summary,
    signals.category,
    signals.impact,
    signals.observed_on,
    signals.source,
from strongest
-- signal_id is the feed's key: one row each
inner join raw.market_signals as signals using (signal_id)
union all
select
    null as strength,
    market.nothing_note(count(*), 'market signals', 'this month') as subject,
    null as summary,
    null as category,
    null as impact,
    null as observed_on,
    null as source,
from raw.market_signals
having not exists (select 1 from strongest)
order by strength desc nulls last, observed_on desc, subject
