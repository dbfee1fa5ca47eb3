-- Grain: one row per quarter compared: the calendar quarter holding the as-of day (to that day)
-- and the whole quarter before, with the days each covers.
select
    quarter,
    first_day,
    last_day,
    days,
from reporting.strategic_quarters($as_of)
order by first_day desc
