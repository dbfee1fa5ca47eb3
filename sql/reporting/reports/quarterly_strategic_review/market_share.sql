-- Grain: one row: market share cannot be assessed, said plainly rather than estimated.
select 'not assessed: the warehouse holds no market size or competitors'' sales' as market_share
