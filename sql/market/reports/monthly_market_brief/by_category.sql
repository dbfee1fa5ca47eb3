-- Grain: one row per category and impact with a signal in the month or the month before, then
-- an `all` row per impact; and one note row, first, when the month has no signal ("no market
-- signals loaded" when the feed is empty, else "none this month").
with
signals as (
    select
        category,
        impact,
        observed_on >= market.month_start($as_of, 0) as in_month,
    from raw.market_signals
    where market.in_months(observed_on, $as_of, 2)
),

counts as (
    select
        coalesce(category, 'all') as category,
        impact,
        count(*) filter (where in_month) as signals,
        count(*) filter (where not in_month) as previous_signals,
    from signals
    group by grouping sets ((category, impact), (impact))
),

note as (
    select
        market.nothing_note(count(*), 'market signals', 'this month') as category,
    from raw.market_signals
    having not exists (select 1 from signals where in_month)
),

listed as (
    select
        0 as block,
        category,
        null as impact,
        null::bigint as signals,
        null::bigint as previous_signals,
    from note
    union all
    select
        if(category = 'all', 2, 1) as block,
        category,
        impact,
        signals,
        previous_signals,
    from counts
)

select
    category,
    impact,
    signals,
    previous_signals,
    signals - previous_signals as change,
from listed
order by block, category, list_position(['opportunity', 'threat', 'neutral'], impact)
