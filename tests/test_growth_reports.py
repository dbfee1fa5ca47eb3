"""The Weekly analytics report and the Growth metrics report (growth domain), over growth, revenue
and raw tables written by hand. Every report is as of Wednesday 12 March 2025 (the last raw day:
a signup at noon), so "the week" is Monday 3 to Sunday 9 March and the week before 24 February
to 2 March; the numbers in the docstrings are worked from the inputs below."""

from datetime import date, timedelta

import dagster as dg
from report_runs import materialize

from nexus_pipelines.reports import build_report_assets
from nexus_pipelines.warehouse import Warehouse

ANALYTICS = dg.AssetKey(["growth", "weekly_analytics_report"])
GROWTH = dg.AssetKey(["growth", "growth_metrics_report"])
FIRST, AS_OF = date(2025, 1, 20), date(2025, 3, 12)
SPIKE_DAY, EXTRA_SIGNUPS_DAY = date(2025, 3, 6), date(2025, 3, 4)

SCHEMAS = {
    "growth.daily_active_users": "activity_date date, active_users bigint",
    "growth.user_activity_days": "activity_date date, user_id bigint",
    "growth.signups_by_channel_daily": (
        "signup_date date, acquisition_channel varchar, signups bigint"
    ),
    "growth.activation_by_cohort": (
        "signup_date date, cohort_size bigint, activated_users bigint, activation_rate_pct double"
    ),
    "growth.day_n_retention": "signup_date date, cohort_size bigint, d7_retained_users bigint",
    "growth.cohort_retention_weekly": (
        "signup_week date, week_number bigint, cohort_size bigint, retention_pct double"
    ),
    "growth.funnel_by_cohort": (
        "signup_date date, signups bigint, activated_users bigint, paying_users bigint"
    ),
    "growth.viral_coefficient_monthly": "invite_month date, k_factor double",
    "revenue.unit_economics": (
        "month date, channel varchar, spend decimal(18, 2), new_customers bigint, "
        "cac decimal(18, 2), ltv_to_cac double, cac_payback_months double"
    ),
    "raw.users": "signup_at timestamptz",
    "raw.marketing_spend": (
        "spend_id varchar, spend_date date, channel varchar, campaign varchar, "
        "amount decimal(18, 2)"
    ),
    "raw.invites": (
        "invite_id bigint, inviter_user_id bigint, sent_at timestamptz, "
        "accepted_user_id bigint, accepted_at timestamptz"
    ),
}


def days() -> list[date]:
    return [FIRST + timedelta(days=n) for n in range((AS_OF - FIRST).days + 1)]


def dau(day: date, spikes: bool) -> int:
    """10 on a day an even number of days after 1 January 2025, else 12 (28 trailing days hold
    14 of each: mean 11, sample sd sqrt(28 / 27) = 1.018); 20 on the spike day (a Thursday of
    the week, 64 days after 1 January: 10 without the spike)."""
    if spikes and day == SPIKE_DAY:
        return 20
    return 10 if (day - date(2025, 1, 1)).days % 2 == 0 else 12


def write_tables(warehouse: Warehouse, spikes: bool = True, money_and_invites: bool = True) -> None:
    """The hand inputs. Signups: organic 2 and paid_search 1 every day (3 a day), with spikes
    3 referral signups on Tuesday 4 March."""
    rows: dict[str, list[tuple]] = {table: [] for table in SCHEMAS}
    for day in days():
        rows["growth.daily_active_users"].append((day, dau(day, spikes)))
        rows["growth.signups_by_channel_daily"] += [(day, "organic", 2), (day, "paid_search", 1)]
    if spikes:
        rows["growth.signups_by_channel_daily"].append((EXTRA_SIGNUPS_DAY, "referral", 3))
    rows["growth.user_activity_days"] = [
        (date(2025, 2, 24), 1),
        (date(2025, 3, 2), 2),
        (date(2025, 3, 3), 1),
        (date(2025, 3, 5), 1),
        (date(2025, 3, 4), 2),
        (date(2025, 3, 9), 3),
        (date(2025, 3, 10), 4),
    ]
    rows["growth.activation_by_cohort"] = [
        (date(2025, 1, 28), 2, 1, 50.0),
        (date(2025, 2, 3), 4, 4, 100.0),
        (date(2025, 2, 10), 8, 2, 25.0),
        (date(2025, 2, 17), 5, 1, 20.0),
        (date(2025, 2, 20), 5, 3, 60.0),
        (date(2025, 2, 24), 4, 2, 50.0),
        (date(2025, 2, 26), 6, 3, 50.0),
        (date(2025, 3, 3), 9, None, None),
    ]
    rows["growth.day_n_retention"] = [
        (date(2025, 2, 18), 8, 4),
        (date(2025, 2, 25), 10, 3),
        (date(2025, 2, 28), 10, 2),
        (date(2025, 3, 4), 5, None),
    ]
    rows["growth.cohort_retention_weekly"] = [
        (date(2025, 2, 17), 0, 18, 100.0),
        (date(2025, 2, 17), 1, 18, 50.0),
        (date(2025, 2, 17), 2, 18, 30.0),
        (date(2025, 2, 24), 0, 20, 100.0),
        (date(2025, 2, 24), 1, 20, 40.0),
        (date(2025, 2, 24), 2, 20, None),
        (date(2025, 3, 3), 0, 17, 100.0),
        (date(2025, 3, 3), 1, 17, None),
    ]
    rows["growth.funnel_by_cohort"] = [
        (date(2025, 2, 3), 10, 6, 2),
        (date(2025, 2, 5), 10, 4, 1),
        (date(2025, 2, 10), 5, None, None),
    ]
    rows["raw.users"] = [(f"{AS_OF} 12:00:00+00",)]
    if money_and_invites:
        rows["growth.viral_coefficient_monthly"] = [
            (date(2025, 1, 1), 0.25),
            (date(2025, 2, 1), 0.4),
            (date(2025, 3, 1), 0.9),
        ]
        rows["revenue.unit_economics"] = [
            (date(2025, 1, 1), "paid_search", 300, 1, 300, 1.0, 9.0),
            (date(2025, 2, 1), "blended", 500, 5, 100, 2.0, 6.0),
            (date(2025, 2, 1), "paid_search", 400, 4, 100, 3.456, 5.24),
            (date(2025, 3, 1), "paid_search", 50, 1, 50, 8.0, 1.0),
        ]
        rows["raw.marketing_spend"] = [
            ("s1", date(2025, 3, 2), "paid_search", None, 999),
            ("s2", date(2025, 3, 3), "paid_search", None, 70),
            ("s3", date(2025, 3, 8), "paid_search", None, 35),
            ("s4", date(2025, 3, 4), None, "brand", 50),
        ]
        rows["raw.invites"] = [
            (1, 3, "2025-03-02 12:00:00+00", None, None),
            (2, 1, "2025-03-03 12:00:00+00", 50, "2025-03-05 12:00:00+00"),
            (3, 1, "2025-03-04 12:00:00+00", None, None),
            (4, 1, "2025-03-09 12:00:00+00", None, None),
            (5, 2, "2025-03-05 12:00:00+00", 51, "2025-03-11 12:00:00+00"),
        ]
    with warehouse.get_connection() as connection:
        for table, schema in SCHEMAS.items():
            connection.execute(f"create schema if not exists {table.split('.')[0]}")
            connection.execute(f"create table {table} ({schema})")
            if rows[table]:
                marks = ", ".join("?" * len(rows[table][0]))
                connection.executemany(f"insert into {table} values ({marks})", rows[table])


def materialise(warehouse: Warehouse) -> dict[str, str]:
    """Both reports; their markdown by report name."""
    assets = [a for a in build_report_assets() if {ANALYTICS, GROWTH} & set(a.keys)]
    result = materialize(assets, resources={"warehouse": warehouse})
    assert result.success
    texts = {}
    for key in (ANALYTICS, GROWTH):
        (event,) = result.asset_materializations_for_node("__".join(key.path))
        texts[key.path[-1]] = event.metadata["report"].value
    return texts


def test_weekly_analytics_report_kpis_retention_funnel_and_anomalies(warehouse: Warehouse) -> None:
    """KPIs, week 3-9 March against 24 February-2 March:
    DAU: the week is 12, 10, 12, 20 (spike), 12, 10, 12 = 88 / 7 = 12.57; the week before
    10, 12, 10, 12, 10, 12, 10 = 76 / 7 = 10.86; change 12 / 7 = 1.71, 12 / 76 = +15.79 %.
    WAU: users 1, 2, 3 against 1, 2: 3 vs 2, +1, +50 %.
    Signups: 7 x 3 + 3 referral = 24 against 21: +3, 3 / 21 = +14.29 %.
    Activation (mature by 12 March within 7 days: signup weeks to 2 March, so of 24 February):
    (2 + 3) / (4 + 6) = 50 % against (1 + 3) / (5 + 5) = 40 % (17 February): +10 pp, +25 %.
    Day-7 retention (signup week 24 February, every cohort's day 7 by 12 March):
    (3 + 2) / (10 + 10) = 25 % against 4 / 8 = 50 %: -25 pp, -50 %.
    Retention: cohorts 24 February (week 1 ends 9 March, mature) and 17 February; 3 March's
    week 1 is not over.
    Funnel (30-day window closed by 12 March: signup weeks ending by 10 February, so 3-9
    February): 20 signups, 10 activated (50 %), 3 paying (15 % of signups, 30 % of activated).
    Anomalies: DAU 20 on 6 March against the 28 days before (mean 11, sd 1.02): 9 / 1.018 =
    8.84 sd above; signups 6 on 4 March against 28 days of 3 (sd 0): above, no sd to measure."""
    write_tables(warehouse)
    text = materialise(warehouse)["weekly_analytics_report"]
    assert text.startswith("# Weekly analytics report, as of 2025-03-12\n")
    assert (
        "| kpi | unit | week_start | value | week_before | change | change_pct |\n"
        "|---|---|---|---|---|---|---|\n"
        "| DAU (mean of the days) | users | 2025-03-03 | 12.57 | 10.86 | 1.71 | 15.79 |\n"
        "| WAU (active in the week) | users | 2025-03-03 | 3.00 | 2.00 | 1.00 | 50.00 |\n"
        "| Signups | users | 2025-03-03 | 24.00 | 21.00 | 3.00 | 14.29 |\n"
        "| Activation rate (signup week) | % | 2025-02-24 | 50.00 | 40.00 | 10.00 | 25.00 |\n"
        "| Day-7 retention (signup week) | % | 2025-02-24 | 25.00 | 50.00 | -25.00 | -50.00 |\n"
    ) in text
    assert "## DAU over the 28 days to the week's end, with its trailing 28-day mean\n\n![" in text
    assert (
        "| signup_week | cohort_size | week_0_pct | week_1_pct | week_2_pct | week_3_pct "
        "| week_4_pct | week_6_pct | week_8_pct |\n"
        "|---|---|---|---|---|---|---|---|---|\n"
        "| 2025-02-24 | 20 | 100.00 | 40.00 |  |  |  |  |  |\n"
        "| 2025-02-17 | 18 | 100.00 | 50.00 | 30.00 |  |  |  |  |\n"
    ) in text
    assert (
        "| signup_week | stage | users | pct_of_signups | step_pct |\n"
        "|---|---|---|---|---|\n"
        "| 2025-02-03 | signup | 20 | 100.00 | 100.00 |\n"
        "| 2025-02-03 | activated | 10 | 50.00 | 50.00 |\n"
        "| 2025-02-03 | paying | 3 | 15.00 | 30.00 |\n"
    ) in text
    assert (
        "| metric | day | value | trailing_28_day_mean | trailing_28_day_sd | deviation_sd "
        "| direction |\n"
        "|---|---|---|---|---|---|---|\n"
        "| DAU | 2025-03-06 | 20 | 11.00 | 1.02 | 8.84 | above |\n"
        "| signups | 2025-03-04 | 6 | 3.00 | 0.00 |  | above |\n"
    ) in text


def test_growth_metrics_report_channels_cac_activation_and_virality(warehouse: Warehouse) -> None:
    """Acquisition, 3-9 March: organic 14 (14 / 24 = 58.33 %), paid_search 7 (29.17 %),
    referral 3 (12.50 %), brand spend 50.00 with no channel; against 14, 7, 0 the week before.
    Spend in the week: paid_search 70 + 35 = 105.00 (the 999 of 2 March is the week before),
    105 / 7 = 15.00 a signup; total 155.00 / 24 = 6.46.
    CAC: February, the latest complete month by 12 March (March is running).
    Activation (weeks to 2 March): 24 Feb 5 / 10 = 50 %, 17 Feb 4 / 10 = 40 %, 10 Feb 2 / 8
    = 25 %, 3 Feb 4 / 4 = 100 % (27 January is the fifth).
    Virality: invites sent 3-9 March: user 1 three, user 2 one: 2 inviters, 4 invites, 2
    accepted (50 %), 2 invites per inviter, k = 2 / 2 = 1; February's k 0.4."""
    write_tables(warehouse)
    text = materialise(warehouse)["growth_metrics_report"]
    assert text.startswith("# Growth metrics report, as of 2025-03-12\n")
    assert (
        "| channel | signups | share_pct | week_before | change | spend | spend_per_signup |\n"
        "|---|---|---|---|---|---|---|\n"
        "| organic | 14 | 58.33 | 14 | 0 |  |  |\n"
        "| paid_search | 7 | 29.17 | 7 | 0 | 105.00 | 15.00 |\n"
        "| referral | 3 | 12.50 | 0 | 3 |  |  |\n"
        "| (unattributed) | 0 | 0.00 | 0 | 0 | 50.00 |  |\n"
        "| total | 24 | 100.00 | 21 | 3 | 155.00 | 6.46 |\n"
    ) in text
    assert (
        "| month | channel | spend | new_customers | cac | ltv_to_cac | cac_payback_months |\n"
        "|---|---|---|---|---|---|---|\n"
        "| 2025-02-01 | paid_search | 400.00 | 4 | 100.00 | 3.46 | 5.20 |\n"
        "| 2025-02-01 | blended | 500.00 | 5 | 100.00 | 2.00 | 6.00 |\n"
    ) in text
    assert (
        "| signup_week | signups | activated | activation_rate_pct |\n"
        "|---|---|---|---|\n"
        "| 2025-02-24 | 10 | 5 | 50.00 |\n"
        "| 2025-02-17 | 10 | 4 | 40.00 |\n"
        "| 2025-02-10 | 8 | 2 | 25.00 |\n"
        "| 2025-02-03 | 4 | 4 | 100.00 |\n\n"
    ) in text
    assert ("| 2025-03-03 | 2 | 4 | 2 | 2.00 | 50.00 | 1.00 | 2025-02-01 | 0.40 |\n") in text
    assert (
        "| part | why |\n|---|---|\n"
        "| Activation by channel | growth.activation_by_cohort counts signup-day cohorts, not "
        "channels: activation is shown for the whole week only |\n"
        "| Weekly CAC | new paying customers per channel are counted per month "
        "(revenue.unit_economics): CAC is the latest complete month's; the week shows spend per "
        "signup |\n"
    ) in text
    assert "| Spend per signup |" not in text


def test_quiet_week_and_missing_money_are_said_plainly(warehouse: Warehouse) -> None:
    """Without the spike (6 March's DAU is 10: |10 - 11| < 3 x 1.02), the extra signups (3 a
    day, sd 0, never off the mean), marketing spend, unit economics and invites: the anomalies
    section says none, and the growth report names each missing part."""
    write_tables(warehouse, spikes=False, money_and_invites=False)
    texts = materialise(warehouse)
    assert (
        "| none: no day of the week beyond 3 sd of its trailing 28 days |  |  |  |  |  |  |"
    ) in texts["weekly_analytics_report"]
    growth = texts["growth_metrics_report"]
    spend = "| Spend per signup | no marketing spend loaded for the week (raw.marketing_spend) |"
    assert spend in growth
    assert "| CAC | no complete month in revenue.unit_economics |" in growth
    assert "| Virality | no invites loaded for the week (raw.invites) |" in growth
    assert "## CAC by channel, latest complete month\n\n_no rows_" in growth
