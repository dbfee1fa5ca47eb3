-- Grain: one row per calendar month (reporting timezone) of the window and acquisition channel,
-- plus channel 'blended' for the whole company.
-- Implements CAC, LTV, LTV:CAC and CAC payback (metrics.md, scorecard and Revenue): CAC = spend /
-- new paying customers; LTV = ARPA x gross margin / monthly customer churn rate averaged over the
-- trailing $revenue_ltv_churn_months months; payback = CAC / (ARPA of new customers x gross margin).
with
movements as (
    select
        month,
        customer_id,
        previous_mrr,
        mrr,
        new_mrr,
        movement,
    from revenue.mrr_movements
    -- looks back (churn months - 1) months before the window for the trailing churn average
    where month >= (
            ($window_start at time zone $reporting_timezone)
            - to_months($revenue_ltv_churn_months - 1)
        )::date
        and month < ($window_end at time zone $reporting_timezone)::date
),

users as (
    select
        user_id as customer_id,
        acquisition_channel,
    from raw.users
),

spend as (
    select
        month,
        channel,
        amount,
    from revenue.costs_monthly
    where category = 'marketing'
        and month >= ($window_start at time zone $reporting_timezone)::date
        and month < ($window_end at time zone $reporting_timezone)::date
),

margins as (
    select
        month,
        gross_margin,
    from revenue.gross_margin_monthly
    where month >= ($window_start at time zone $reporting_timezone)::date
        and month < ($window_end at time zone $reporting_timezone)::date
),

customer_months as (
    select
        movements.month,
        -- first touch: the channel recorded at signup
        coalesce(users.acquisition_channel, '(unknown)') as channel,
        movements.previous_mrr,
        movements.mrr,
        movements.new_mrr,
        movements.movement,
    from movements
    left join users using (customer_id)
),

channel_months as (
    select
        month,
        coalesce(channel, 'blended') as channel,
        sum(mrr) as mrr,
        count(*) filter (where mrr > 0) as paying_customers,
        count(*) filter (where previous_mrr > 0) as starting_customers,
        count(*) filter (where movement = 'churn') as churned_customers,
        count(*) filter (where movement = 'new') as new_customers,
        sum(new_mrr) as new_mrr,
    from customer_months
    group by grouping sets ((month, channel), (month))
),

churn_rates as (
    select
        month,
        channel,
        churned_customers / nullif(starting_customers, 0) as customer_churn_rate,
    from channel_months
),

trailing_churn as (
    -- the mean of the monthly rates over the trailing months that have a rate
    select
        later.month,
        later.channel,
        avg(earlier.customer_churn_rate) as trailing_churn_rate,
    from churn_rates as later
    inner join churn_rates as earlier
        on earlier.channel = later.channel
        and earlier.month > later.month - to_months($revenue_ltv_churn_months)
        and earlier.month <= later.month
    group by all
),

channel_spend as (
    select
        month,
        channel,
        sum(amount) as spend,
    from spend
    -- spend that no channel can claim enters only the blended CAC
    where channel <> '(unattributed)'
    group by all
    union all
    select
        month,
        'blended' as channel,
        sum(amount) as spend,
    from spend
    group by all
),

window_channel_months as (
    select
        month,
        channel,
    from channel_months
    where month >= ($window_start at time zone $reporting_timezone)::date
    union
    select
        month,
        channel,
    from channel_spend
),

measures as (
    select
        window_channel_months.month,
        window_channel_months.channel,
        coalesce(channel_spend.spend, 0)::decimal(38, 2) as spend,
        coalesce(channel_months.new_customers, 0) as new_customers,
        coalesce(channel_months.new_mrr, 0)::decimal(38, 2) as new_mrr,
        coalesce(channel_months.paying_customers, 0) as paying_customers,
        coalesce(channel_months.mrr, 0)::decimal(38, 2) as mrr,
        trailing_churn.trailing_churn_rate,
        margins.gross_margin,
    from window_channel_months
    left join channel_months using (month, channel)
    left join channel_spend using (month, channel)
    left join trailing_churn using (month, channel)
    left join margins using (month)
),

ratios as (
    select
        *,
        spend / nullif(new_customers, 0) as cac,
        mrr / nullif(paying_customers, 0) as arpa,
        new_mrr / nullif(new_customers, 0) as arpa_new,
    from measures
),

lifetime as (
    select
        *,
        arpa * gross_margin / nullif(trailing_churn_rate, 0) as ltv,
    from ratios
)

select
    month,
    channel,
    spend,
    new_customers,
    cac::decimal(18, 2) as cac,
    paying_customers,
    mrr,
    arpa::decimal(18, 2) as arpa,
    arpa_new::decimal(18, 2) as arpa_new,
    gross_margin,
    trailing_churn_rate,
    ltv::decimal(18, 2) as ltv,
    ltv / nullif(cac, 0) as ltv_to_cac,
    cac / nullif(arpa_new * gross_margin, 0) as cac_payback_months,
from lifetime
