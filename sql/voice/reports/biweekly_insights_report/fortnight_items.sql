-- Grain: one number, the feedback items of the analysed fortnight (every theme).
select
    sum(fortnight_items) as fortnight_items,
from voice.feedback_insights
