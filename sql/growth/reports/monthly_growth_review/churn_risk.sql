-- Grain: one row per churn-risk bucket (high, medium, low) of growth.churn_risk when its
-- scores are of a day in the month holding $as_of (the table keeps the latest scoring only):
-- users, share of the scored users, mean score, detractors and users with an open ticket.
-- Otherwise one row saying why there is none.
with
scored as (
    select
        churn_risk.*,
    from growth.churn_risk
    inner join growth.review_months($as_of) as months
        on churn_risk.scored_on::date between months.month_start and months.month_end
),

buckets as (
    select
        risk_bucket,
        any_value(scored_on::date) as scored_on,
        count(*) as users,
        round(avg(risk_score), 2) as mean_score,
        count(*) filter (where is_detractor) as detractors,
        count(*) filter (where open_tickets > 0) as with_open_ticket,
    from scored
    group by risk_bucket
)

select
    risk_bucket,
    scored_on,
    users,
    round(100.0 * users / sum(users) over (), 2) as share_pct,
    mean_score,
    detractors,
    with_open_ticket,
from buckets
union all
select
    case
        when (select count(*) from growth.churn_risk) = 0 then 'no churn risk scored'
        else 'churn risk scored on '
            || (select strftime(max(scored_on), '%Y-%m-%d') from growth.churn_risk)
            || ' only, not in ' || strftime(months.month_start, '%Y-%m')
    end,
    null,
    null,
    null,
    null,
    null,
    null,
from growth.review_months($as_of) as months
where not exists (select 1 from buckets)
order by case risk_bucket when 'high' then 1 when 'medium' then 2 when 'low' then 3 else 4 end
