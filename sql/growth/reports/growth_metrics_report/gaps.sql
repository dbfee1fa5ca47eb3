-- Grain: one row per part of this report the warehouse cannot give, each saying why: two by
-- design (the tables' grains), the others when the week's or month's tables hold no rows.
with
bounds as (
    select
        cast(date_trunc('week', $as_of + 1) as date) - 7 as week_start,
),

held as (
    select
        (
            select count(*)
            from raw.marketing_spend
            where spend_date between (select week_start from bounds)
                and (select week_start + 6 from bounds)
        ) as spend_lines,
        (
            select count(*)
            from revenue.unit_economics
            where month + interval 1 month <= $as_of + 1
        ) as unit_economics_rows,
        (
            select count(*)
            from raw.invites
            where cast(timezone($reporting_timezone, sent_at) as date)
                between (select week_start from bounds) and (select week_start + 6 from bounds)
        ) as invites,
),

gaps as (
    select
        1 as position,
        'Activation by channel' as part,
        'growth.activation_by_cohort counts signup-day cohorts, not channels: activation is '
        || 'shown for the whole week only' as why,
    union all
    select
        2,
        'Weekly CAC',
        'new paying customers per channel are counted per month (revenue.unit_economics): '
        || 'CAC is the latest complete month''s; the week shows spend per signup',
    union all
    select
        3,
        'Spend per signup',
        'no marketing spend loaded for the week (raw.marketing_spend)',
    from held
    where spend_lines = 0
    union all
    select
        4,
        'CAC',
        'no complete month in revenue.unit_economics',
    from held
    where unit_economics_rows = 0
    union all
    select
        5,
        'Virality',
        'no invites loaded for the week (raw.invites)',
    from held
    where invites = 0
)

select
    part,
    why,
from gaps
order by position
