-- Grain: one row per subject (a competitor, a trend) with signals in at least
-- $market_recurring_min_months of the $market_recurring_months calendar months ending with the
-- month reported, the most months and signals first; one note row when none recurs ("no market
-- signals loaded" when the feed is empty).
with
recent as (
    select
        subject,
        category,
        impact,
        summary,
        observed_on,
        signal_id,
        market.month_start(observed_on, 0) as month,
    from raw.market_signals
    where market.in_months(observed_on, $as_of, $market_recurring_months)
),

subjects as (
    select
        subject,
        count(distinct month) as months_seen,
        count(*) as signals,
        count(*) filter (where impact = 'opportunity') as opportunities,
        count(*) filter (where impact = 'threat') as threats,
        string_agg(distinct category, ', ' order by category) as categories,
        min(observed_on) as first_seen,
        max(observed_on) as last_seen,
        first(summary order by observed_on desc, signal_id desc) as latest_summary,
    from recent
    group by subject
    having count(distinct month) >= $market_recurring_min_months
)

select
    subject,
    months_seen,
    signals,
    opportunities,
    threats,
    categories,
    first_seen,
    last_seen,
    latest_summary,
from subjects
union all
select
    market.nothing_note(
        count(*), 'market signals', 'recurring in the last ' || $market_recurring_months || ' months'
    ) as subject,
    null as months_seen,
    null as signals,
    null as opportunities,
    null as threats,
    null as categories,
    null as first_seen,
    null as last_seen,
    null as latest_summary,
from raw.market_signals
having not exists (select 1 from subjects)
order by months_seen desc nulls first, signals desc, subject
