-- Grain: up to $market_strongest_signals rows, the month's strongest signals (strength 1-5, an
-- unweighted one last, then the latest first); one note row when the month has none ("no market
-- signals loaded" when the feed is empty, else "none this month").
with
month_signals as (
    select
        strength,
        subject,
        summary,
        category,
        impact,
        observed_on,
        source,
        signal_id,
    from raw.market_signals
    where market.in_months(observed_on, $as_of, 1)
),

strongest as (
    select
        *,
    from month_signals
    order by strength desc nulls last, observed_on desc, signal_id
    limit $market_strongest_signals
)

select
    strength,
    subject,
    summary,
    category,
    impact,
    observed_on,
    source,
from strongest
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
having not exists (select 1 from month_signals)
order by strength desc nulls last, observed_on desc, subject
