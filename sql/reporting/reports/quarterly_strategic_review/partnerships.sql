-- Grain: one row: partnerships cannot be evaluated, said plainly rather than estimated.
select 'not assessed: the warehouse holds no partner or partnership data' as partnerships
