-- Shared steps of the customer-voice queries, as DuckDB macros (run before the domain's queries).
-- A macro sees no bound parameters: settings come in as arguments. None reads a table.

-- The NPS group of a 0-10 answer (metrics.md, scorecard nps): promoter 9-10, passive 7-8,
-- detractor 0-6.
create or replace macro voice.nps_group(score) as
    case
        when score >= 9 then 'promoter'
        when score >= 7 then 'passive'
        else 'detractor'
    end;

-- NPS in points, -100 to 100: % promoters - % detractors, passives only in the denominator; NULL
-- under the minimum sample.
create or replace macro voice.nps(promoters, detractors, responses, min_responses) as
    case
        when responses >= min_responses and responses > 0
            then 100.0 * (promoters - detractors) / responses
    end;

-- Half-width of the NPS interval in points: z x 100 x sqrt(var), var = (p_pro + p_det -
-- (p_pro - p_det)^2) / n, the normal approximation on the promoter/detractor trinomial; NULL
-- under the minimum sample.
create or replace macro voice.nps_margin(promoters, detractors, responses, min_responses, z) as
    case
        when responses >= min_responses and responses > 0
            then z * 100.0 * sqrt(
                (
                    (promoters + detractors) / responses
                    - ((promoters - detractors) / responses) ** 2
                ) / responses
            )
    end;

-- The NPS interval's ends in points, nps -+ its margin cut to the scale's -100..100 (the
-- approximation can pass them; greatest and least skip NULLs); NULL without an NPS.
create or replace macro voice.nps_ci_low(nps, margin) as
    case when nps is not null then greatest(nps - margin, -100.0) end;

create or replace macro voice.nps_ci_high(nps, margin) as
    case when nps is not null then least(nps + margin, 100.0) end;

-- Sentiment as a number: positive 1, neutral 0, negative -1 (a theme's mean lies in -1..1).
create or replace macro voice.sentiment_score(sentiment) as
    case sentiment when 'positive' then 1 when 'negative' then -1 else 0 end;

-- The Monday of the last complete ISO week on or before `as_of`: the week a weekly report as of
-- `as_of` is of (its own week when as_of is its Sunday), and the second week of a bi-weekly
-- report's fortnight, which ends on that week's Sunday.
create or replace macro voice.report_week(as_of) as
    cast(date_trunc('week', as_of + 1) as date) - 7;
