"""The Monthly growth review (growth domain) over growth, revenue and experiment tables written by
hand. The report is as of Monday 31 March 2025 (the last raw day: a signup at noon), so "the
month" is March 2025 and the month before February; the numbers in the docstrings are worked
from the inputs below."""

import html
import os
import shutil
from datetime import date
from pathlib import Path

import dagster as dg
import pytest
import yaml
from deployment import nexus, open_instance
from report_runs import materialize

from nexus_pipelines.reports import build_report_assets
from nexus_pipelines.settings import PROJECT_DIR
from nexus_pipelines.warehouse import Warehouse

REVIEW = dg.AssetKey(["growth", "monthly_growth_review"])

SCHEMAS = {
    "growth.signups_by_channel_daily": (
        "signup_date date, acquisition_channel varchar, signups bigint"
    ),
    "revenue.unit_economics": (
        "month date, channel varchar, spend decimal(38, 2), new_customers bigint, "
        "cac decimal(18, 2), ltv_to_cac double"
    ),
    "growth.funnel_by_cohort": (
        "signup_date date, signups bigint, activated_users bigint, paying_users bigint"
    ),
    "experiments.experiment_status": (
        "experiment_id varchar, name varchar, primary_metric varchar, status varchar, "
        "started_at timestamptz, ended_at timestamptz, variants bigint, assigned_users bigint, "
        "users bigint, srm_passed boolean, winner varchar, winner_lift double, "
        "winner_lift_ci_lower double, winner_lift_ci_upper double, winner_p_value double, "
        "rolled_out_variant varchar, decision varchar"
    ),
    "growth.cohort_retention_monthly": (
        "signup_month date, month_number bigint, period_start date, cohort_size bigint, "
        "retention_pct double"
    ),
    "growth.churn_risk": (
        "scored_on timestamp, user_id bigint, open_tickets bigint, is_detractor boolean, "
        "risk_score double, risk_bucket varchar"
    ),
    "growth.reengagement_campaigns": (
        "campaign_id varchar, channel varchar, started_at timestamptz, is_complete boolean, "
        "targeted_users bigint, targeted_reengaged_pct double, holdout_users bigint, "
        "holdout_reengaged_pct double, uplift_pct_points double"
    ),
    "growth.feature_adoption_monthly": (
        "month_start date, feature varchar, feature_users bigint, adoption_pct double"
    ),
    "growth.viral_coefficient_monthly": (
        "invite_month date, inviting_users bigint, invites_sent bigint, referred_signups bigint, "
        "k_factor double"
    ),
    "raw.users": "signup_at timestamptz",
}


def experiment(
    experiment_id: str, status: str, started: str, ended: str | None, **outcome: object
) -> tuple:
    """A row of experiments.experiment_status; the outcome columns empty unless given."""
    return (
        experiment_id,
        outcome.get("name", experiment_id),
        "signup_conversion",
        status,
        f"{started} 00:00:00+00",
        f"{ended} 00:00:00+00" if ended else None,
        2,
        outcome.get("assigned_users", 0),
        outcome.get("users", 0),
        outcome.get("srm_passed"),
        outcome.get("winner"),
        outcome.get("lift"),
        outcome.get("lower"),
        outcome.get("upper"),
        outcome.get("p_value"),
        outcome.get("rolled_out"),
        outcome.get("decision", status),
    )


def rows() -> dict[str, list[tuple]]:
    """The hand inputs (only raw.users in an empty warehouse)."""
    march, february = date(2025, 3, 1), date(2025, 2, 1)
    return {
        "growth.signups_by_channel_daily": [
            (date(2024, 12, 10), "organic", 5),
            (date(2024, 12, 10), "paid_search", 2),
            (date(2024, 12, 10), "paid_social", 1),
            (date(2025, 2, 10), "organic", 4),
            (date(2025, 2, 10), "paid_search", 6),
            (date(2025, 3, 5), "organic", 6),
            (date(2025, 3, 5), "paid_search", 3),
            (date(2025, 3, 5), "paid_social", 1),
            (date(2025, 3, 5), "referral", 2),
            (date(2025, 4, 1), "organic", 100),
        ],
        "revenue.unit_economics": [
            (date(2025, 1, 1), "paid_search", 100, 1, 100, 9.0),
            (february, "paid_search", 240, 2, 120, 2.5),
            (february, "blended", 300, 4, 75, 4.0),
            (march, "organic", 0, 3, 0, None),
            (march, "paid_search", 300, 2, 150, 2.0),
            (march, "paid_social", 200, 4, 50, 6.0),
            (march, "content", 50, 0, None, None),
            (march, "blended", 600, 9, 66.67, 4.5),
        ],
        "growth.funnel_by_cohort": [
            (date(2025, 1, 10), 10, 5, 1),
            (date(2025, 2, 5), 8, 4, 2),
            (date(2025, 2, 20), 12, 6, 1),
            (date(2025, 3, 10), 5, None, None),
        ],
        "experiments.experiment_status": [
            experiment(
                "e1",
                "completed",
                "2025-02-01",
                "2025-03-20",
                users=400,
                srm_passed=True,
                winner="b",
                lift=0.12,
                lower=0.02,
                upper=0.22,
                p_value=0.013,
                rolled_out="b",
                decision="winner rolled out",
            ),
            experiment("e2", "completed", "2025-01-01", "2025-02-25"),
            experiment("e3", "running", "2025-03-10", None, assigned_users=50, srm_passed=True),
            experiment("e4", "planned", "2025-04-15", None, name="Onboarding tour"),
            experiment("e5", "completed", "2025-01-05", "2025-04-10", assigned_users=90),
        ],
        "growth.cohort_retention_monthly": [
            (date(2024, 12, 1), 0, date(2024, 12, 1), 10, 100.0),
            (date(2024, 12, 1), 1, date(2025, 1, 1), 10, 50.0),
            (date(2024, 12, 1), 2, date(2025, 2, 1), 10, 40.0),
            (date(2024, 12, 1), 3, date(2025, 3, 1), 10, 30.0),
            (date(2024, 12, 1), 4, date(2025, 4, 1), 10, 20.0),
            (date(2025, 1, 1), 0, date(2025, 1, 1), 20, 100.0),
            (date(2025, 1, 1), 1, date(2025, 2, 1), 20, 45.0),
            (date(2025, 1, 1), 2, date(2025, 3, 1), 20, 35.0),
            (february, 0, february, 8, 100.0),
            (february, 1, march, 8, 25.0),
            (march, 0, march, 12, 100.0),
        ],
        "growth.churn_risk": [
            ("2025-03-31", 1, 0, True, 80.0, "high"),
            ("2025-03-31", 2, 1, False, 60.0, "high"),
            ("2025-03-31", 3, 0, False, 30.0, "medium"),
            ("2025-03-31", 4, 0, False, 10.0, "low"),
            ("2025-03-31", 5, 0, False, 0.0, "low"),
        ],
        "growth.reengagement_campaigns": [
            ("c1", "email", "2025-03-12 09:00:00+00", True, 40, 25.0, 10, 10.0, 15.0),
            ("c2", "push", "2025-02-03 09:00:00+00", True, 20, 30.0, 0, None, None),
            ("c3", "in_app", "2025-01-15 09:00:00+00", True, 30, 50.0, 0, None, None),
        ],
        "growth.feature_adoption_monthly": [
            (date(2025, 1, 1), "dashboards", 1, 99.0),
            (february, "dashboards", 10, 50.0),
            (february, "reports", 4, 20.0),
            (march, "dashboards", 12, 40.0),
            (march, "reports", 9, 30.0),
            (march, "ai_assistant", 3, 10.0),
        ],
        "growth.viral_coefficient_monthly": [
            (date(2024, 9, 1), 5, 5, 1, 0.2),
            (date(2024, 10, 1), 5, 6, 1, 0.3),
            (date(2024, 11, 1), 5, 6, 1, 0.3),
            (date(2024, 12, 1), 5, 8, 2, 0.5),
            (date(2025, 1, 1), 5, 7, 2, 0.4),
            (february, 5, 9, 3, 0.6),
            (march, 10, 20, 8, 0.8),
        ],
        "raw.users": [("2025-03-31 12:00:00+00",)],
    }


def write_tables(warehouse: Warehouse, filled: bool = True) -> None:
    inputs = rows()
    with warehouse.get_connection() as connection:
        for table, schema in SCHEMAS.items():
            connection.execute(f"create schema if not exists {table.split('.')[0]}")
            connection.execute(f"create table {table} ({schema})")
            values = inputs[table] if filled or table == "raw.users" else []
            if values:
                marks = ", ".join("?" * len(values[0]))
                connection.executemany(f"insert into {table} values ({marks})", values)


def review(warehouse: Warehouse, instance: dg.DagsterInstance | None = None) -> str:
    """The report's markdown, materialised as the schedules run it."""
    assets = [a for a in build_report_assets() if REVIEW in a.keys]
    result = materialize(assets, {"warehouse": warehouse}, instance)
    assert result.success
    (event,) = result.asset_materializations_for_node("growth__monthly_growth_review")
    return event.metadata["report"].value


def section(text: str, title: str) -> str:
    """The body of the section titled `title`, up to the next section."""
    body = text.split(f"## {title}\n\n", 1)[1]
    return body.split("\n## ", 1)[0]


TITLES = [
    spec["title"]
    for report in yaml.safe_load((PROJECT_DIR / "assets/domains/growth/reports.yaml").read_text())[
        "reports"
    ]
    if report["name"] == "monthly_growth_review"
    for spec in report["sections"]
]


def titled(word: str) -> str:
    """The one section title holding `word`."""
    (title,) = [t for t in TITLES if word in t]
    return title


def test_channel_performance_by_hand(warehouse: Warehouse) -> None:
    """Acquisition, March against February: organic 6 (6 / 12 = 50 %) against 4, paid_search 3
    (25 %) against 6, referral 2 (16.67 %), paid_social 1 (8.33 %); content has spend but no
    signup; total 12 against 10 (the 100 of 1 April are after the month). Spend per signup:
    paid_search 300 / 3 = 100, paid_social 200 / 1 = 200, organic 0; total blended 600 / 12 = 50.
    CAC: paid_search 150 against February's 120, LTV:CAC 2.0 against 2.5: down; blended 66.67
    against 75, 4.5 against 4.0: up; paid_social and organic have no February row.
    Funnel: windows (30 days) closing in March = cohorts of 30 January to 1 March: 5 and 20
    February, 8 + 12 = 20 signups, 4 + 6 = 10 activated (50 %), 2 + 1 = 3 paying (15 % of
    signups, 3 / 10 = 30 % of activated); in February the cohort of 10 January: 10, 5 (50 %),
    1 (10 %). The cohort of 10 March has not closed."""
    write_tables(warehouse)
    text = review(warehouse)
    assert text.startswith("# Monthly growth review, as of 2025-03-31\n")
    assert section(text, titled("acquisition by channel")) == (
        "| channel | signups | share_pct | month_before | change | spend | spend_per_signup |\n"
        "|---|---|---|---|---|---|---|\n"
        "| organic | 6 | 50.00 | 4 | 2 | 0.00 | 0.00 |\n"
        "| paid_search | 3 | 25.00 | 6 | -3 | 300.00 | 100.00 |\n"
        "| referral | 2 | 16.67 | 0 | 2 |  |  |\n"
        "| paid_social | 1 | 8.33 | 0 | 1 | 200.00 | 200.00 |\n"
        "| content | 0 | 0.00 | 0 | 0 | 50.00 |  |\n"
        "| total | 12 | 100.00 | 10 | 2 | 600.00 | 50.00 |\n"
    )
    assert section(text, titled("CAC and LTV:CAC")) == (
        "| channel | spend | new_customers | cac | cac_month_before | ltv_to_cac "
        "| ltv_to_cac_month_before | ltv_to_cac_trend |\n"
        "|---|---|---|---|---|---|---|---|\n"
        "| content | 50.00 | 0 |  |  |  |  |  |\n"
        "| organic | 0.00 | 3 | 0.00 |  |  |  |  |\n"
        "| paid_search | 300.00 | 2 | 150.00 | 120.00 | 2.00 | 2.50 | down |\n"
        "| paid_social | 200.00 | 4 | 50.00 |  | 6.00 |  |  |\n"
        "| blended | 600.00 | 9 | 66.67 | 75.00 | 4.50 | 4.00 | up |\n"
    )
    assert section(text, titled("funnel")) == (
        "| stage | users | pct_of_signups | step_pct | users_month_before "
        "| pct_of_signups_month_before |\n"
        "|---|---|---|---|---|---|\n"
        "| signup | 20 | 100.00 | 100.00 | 10 | 100.00 |\n"
        "| activated | 10 | 50.00 | 50.00 | 5 | 50.00 |\n"
        "| paying | 3 | 15.00 | 30.00 | 1 | 10.00 |\n"
    )


def test_experiments_and_retention_by_hand(warehouse: Warehouse) -> None:
    """Experiments: e1 ended on 20 March (e2 in February, e5 on 10 April, after the month).
    Running at the end of 31 March: e5 (from 5 January; it ended only in April) and e3 (from
    10 March, so started in the month). Not started: e4 (planned, from 15 April).
    Retention: cohorts up to February, newest first, cells up to March (December's month 4 is
    April's); March's cohort has no month 1 yet.
    Churn risk on 31 March: high 2 of 5 (40 %), mean (80 + 60) / 2 = 70, one detractor, one
    with an open ticket; medium 1 (20 %, 30); low 2 (40 %, (10 + 0) / 2 = 5).
    Campaigns started in February or March: c1 (12 March), c2 (3 February, no holdout); c3 of
    January is out. Adoption: dashboards 40 % against 50 % (-10 points), reports 30 against 20
    (+10), ai_assistant 10 % new in March (January's 99 % is out)."""
    write_tables(warehouse)
    text = review(warehouse)
    assert section(text, titled("ended in the month")) == (
        "| experiment_id | primary_metric | ended_on | users | srm_passed | winner "
        "| winner_lift_pct | winner_lift_ci_lower_pct | winner_lift_ci_upper_pct "
        "| winner_p_value | rolled_out_variant | decision |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|---|\n"
        "| e1 | signup_conversion | 2025-03-20 | 400 | yes | b | 12.00 | 2.00 | 22.00 | 0.013 "
        "| b | winner rolled out |\n"
    )
    assert section(text, titled("running at")) == (
        "| experiment_id | name | started_on | started_this_month | assigned_users | srm_passed |\n"
        "|---|---|---|---|---|---|\n"
        "| e5 | e5 | 2025-01-05 | no | 90 |  |\n"
        "| e3 | e3 | 2025-03-10 | yes | 50 | yes |\n"
    )
    assert section(text, titled("next experiments")) == (
        "| experiment_id | name | primary_metric | variants | planned_start |\n"
        "|---|---|---|---|---|\n"
        "| e4 | Onboarding tour | signup_conversion | 2 | 2025-04-15 |\n"
    )
    assert section(text, titled("cohort curves")) == (
        "| signup_month | cohort_size | month_0_pct | month_1_pct | month_2_pct | month_3_pct "
        "| month_4_pct | month_5_pct | month_6_pct |\n"
        "|---|---|---|---|---|---|---|---|---|\n"
        "| 2025-02-01 | 8 | 100.00 | 25.00 |  |  |  |  |  |\n"
        "| 2025-01-01 | 20 | 100.00 | 45.00 | 35.00 |  |  |  |  |\n"
        "| 2024-12-01 | 10 | 100.00 | 50.00 | 40.00 | 30.00 |  |  |  |\n"
    )
    assert section(text, titled("churn risk")) == (
        "| risk_bucket | scored_on | users | share_pct | mean_score | detractors "
        "| with_open_ticket |\n"
        "|---|---|---|---|---|---|---|\n"
        "| high | 2025-03-31 | 2 | 40.00 | 70.00 | 1 | 1 |\n"
        "| medium | 2025-03-31 | 1 | 20.00 | 30.00 | 0 | 0 |\n"
        "| low | 2025-03-31 | 2 | 40.00 | 5.00 | 0 | 0 |\n"
    )
    assert section(text, titled("re-engagement")) == (
        "| campaign_id | channel | started_on | is_complete | targeted_users "
        "| targeted_reengaged_pct | holdout_users | holdout_reengaged_pct | uplift_pct_points |\n"
        "|---|---|---|---|---|---|---|---|---|\n"
        "| c1 | email | 2025-03-12 | yes | 40 | 25.00 | 10 | 10.00 | 15.00 |\n"
        "| c2 | push | 2025-02-03 | yes | 20 | 30.00 | 0 |  |  |\n"
    )
    assert section(text, titled("feature adoption")) == (
        "| feature | feature_users | adoption_pct | adoption_pct_month_before "
        "| change_pct_points |\n"
        "|---|---|---|---|---|\n"
        "| dashboards | 12 | 40.00 | 50.00 | -10.00 |\n"
        "| reports | 9 | 30.00 | 20.00 | 10.00 |\n"
        "| ai_assistant | 3 | 10.00 |  |  |\n"
    )


def test_roadmap_is_computed_by_hand(warehouse: Warehouse) -> None:
    """Budget, March's paid channels (spend above 0): paid_search CAC 150, paid_social 50,
    content 50 spent without a new customer (no CAC). Mean CAC (150 + 50) / 2 = 100:
    paid_search +50 %, paid_social -50 %; 10 % of paid_search's 300 = 30 moves to paid_social.
    New channels, January to March: organic (10 signups, no spend: 0 in every month) and
    referral (first signup 5 March, 2 signups, no spend); paid_search and paid_social had spend
    and signups in December.
    K, October to March, newest first: 0.8 (+0.2 on February's 0.6, 0.2 short of 1), 0.6
    (+0.2), 0.4 (-0.1), 0.5 (+0.2), 0.3 (0), 0.3 (+0.1 on September's 0.2)."""
    write_tables(warehouse)
    text = review(warehouse)
    assert section(text, titled("budget reallocation")) == (
        "| channel | spend | new_customers | cac | mean_cac | cac_vs_mean_pct "
        "| suggested_change | suggestion |\n"
        "|---|---|---|---|---|---|---|---|\n"
        "| content | 50.00 | 0 |  | 100.00 |  | 0.00 | spend without a new paying customer: "
        "review |\n"
        "| paid_search | 300.00 | 2 | 150.00 | 100.00 | 50.00 | -30.00 | shift 10 % out: "
        "highest CAC |\n"
        "| paid_social | 200.00 | 4 | 50.00 | 100.00 | -50.00 | 30.00 | shift in: lowest CAC |\n"
    )
    assert section(text, titled("channels to explore")) == (
        "| channel | signups | spend | first_signup | why |\n"
        "|---|---|---|---|---|\n"
        "| organic | 10 | 0.00 | 2024-12-10 | signups without marketing spend |\n"
        "| referral | 2 | 0.00 | 2025-03-05 | first seen in the three months, no spend yet |\n"
    )
    assert section(text, titled("viral coefficient")) == (
        "| invite_month | inviting_users | invites_sent | referred_signups | k_factor | change "
        "| target_k | gap_to_target |\n"
        "|---|---|---|---|---|---|---|---|\n"
        "| 2025-03-01 | 10 | 20 | 8 | 0.80 | 0.20 | 1.00 | -0.20 |\n"
        "| 2025-02-01 | 5 | 9 | 3 | 0.60 | 0.20 | 1.00 | -0.40 |\n"
        "| 2025-01-01 | 5 | 7 | 2 | 0.40 | -0.10 | 1.00 | -0.60 |\n"
        "| 2024-12-01 | 5 | 8 | 2 | 0.50 | 0.20 | 1.00 | -0.50 |\n"
        "| 2024-11-01 | 5 | 6 | 1 | 0.30 | 0.00 | 1.00 | -0.70 |\n"
        "| 2024-10-01 | 5 | 6 | 1 | 0.30 | 0.10 | 1.00 | -0.70 |\n"
    )


def test_no_channel_is_new_when_the_signups_begin_inside_the_three_months(
    warehouse: Warehouse,
) -> None:
    """Without December's signups every channel's first signup falls in January to March, but
    so does the data's: nothing is "first seen". Organic and referral still have signups and
    no spend (referral none at all, organic 0 in March)."""
    write_tables(warehouse)
    with warehouse.get_connection() as connection:
        connection.execute(
            "delete from growth.signups_by_channel_daily where signup_date < '2025-01-01'"
        )
    assert section(review(warehouse), titled("channels to explore")) == (
        "| channel | signups | spend | first_signup | why |\n"
        "|---|---|---|---|---|\n"
        "| organic | 10 | 0.00 | 2025-02-10 | signups without marketing spend |\n"
        "| referral | 2 | 0.00 | 2025-03-05 | signups without marketing spend |\n"
    )


@pytest.mark.parametrize(
    ("word", "said"),
    [
        ("acquisition by channel", "no signups or marketing spend in 2025-02 or 2025-03"),
        ("CAC and LTV:CAC", "no unit economics computed for 2025-03 (revenue.unit_economics)"),
        ("ended in the month", "no experiment ended in 2025-03"),
        ("running at", "no experiment running on 2025-03-31"),
        ("churn risk", "no churn risk scored"),
        ("re-engagement", "no re-engagement campaign started in 2025-02 or 2025-03"),
        ("feature adoption", "no feature usage in 2025-02 or 2025-03 (raw.feature_usage)"),
        ("next experiments", "no experiment planned: the pipeline is empty"),
        (
            "budget reallocation",
            "no paid channel in 2025-03: no marketing spend in revenue.unit_economics",
        ),
        (
            "channels to explore",
            "no new channel: every channel with signups since 2025-01-01 had spend and earlier "
            "signups",
        ),
        ("viral coefficient", "no invites loaded up to 2025-03-31 (raw.invites)"),
    ],
)
def test_empty_tables_are_said_plainly(warehouse: Warehouse, word: str, said: str) -> None:
    """Every table the report reads exists but is empty: each section says so in one row."""
    write_tables(warehouse, filled=False)
    rows_shown = section(review(warehouse), titled(word)).splitlines()[2:]
    assert rows_shown[0].startswith(f"| {said} |")
    assert len(rows_shown) == 1


def test_churn_scored_after_the_month_is_not_shown(warehouse: Warehouse) -> None:
    """growth.churn_risk keeps the latest scoring only: scores of 2 April are not March's."""
    write_tables(warehouse)
    with warehouse.get_connection() as connection:
        connection.execute("update growth.churn_risk set scored_on = '2025-04-02'")
    body = section(review(warehouse), titled("churn risk"))
    assert "| churn risk scored on 2025-04-02 only, not in 2025-03 |" in body


def test_html_export_holds_the_sections_and_the_tables_numbers(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    """`nexus report monthly_growth_review --format html` on this warehouse and instance: every
    section title, and numbers read here from the tables the report reads."""
    write_tables(warehouse)
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(PROJECT_DIR / "dagster-instance.yaml", home / "dagster.yaml")
    with open_instance(home) as instance:
        review(warehouse, instance)
    env = {**os.environ, "DAGSTER_HOME": str(home)}
    out = tmp_path / "review.html"
    nexus(env, "report", "monthly_growth_review", "--format", "html", "--out", str(out))
    page = html.unescape(out.read_text())
    assert "<title>Monthly growth review, as of 2025-03-31</title>" in page
    for title in TITLES:
        assert f">{title}</h2>" in page, title
    with warehouse.get_connection() as connection:
        signups, month_before = connection.execute(
            "select sum(signups) filter (where signup_date >= '2025-03-01'), "
            "sum(signups) filter (where signup_date < '2025-03-01') "
            "from growth.signups_by_channel_daily "
            "where signup_date between '2025-02-01' and '2025-03-31'"
        ).fetchone()
        cac, ltv_to_cac = connection.execute(
            "select cac, ltv_to_cac from revenue.unit_economics "
            "where month = '2025-03-01' and channel = 'paid_search'"
        ).fetchone()
        high = connection.execute(
            "select count(*) from growth.churn_risk where risk_bucket = 'high'"
        ).fetchone()[0]
        k_factor = connection.execute(
            "select k_factor from growth.viral_coefficient_monthly "
            "where invite_month = '2025-03-01'"
        ).fetchone()[0]
        experiment_id, winner = connection.execute(
            "select experiment_id, winner from experiments.experiment_status "
            "where ended_at >= '2025-03-01' and ended_at < '2025-04-01'"
        ).fetchone()
    assert f"<td>total</td>\n<td>{signups}</td>\n<td>100.00</td>\n<td>{month_before}</td>" in page
    assert f"<td>paid_search</td>\n<td>300.00</td>\n<td>2</td>\n<td>{cac:.2f}</td>" in page
    assert f"<td>{ltv_to_cac:.2f}</td>" in page
    assert f"<td>high</td>\n<td>2025-03-31</td>\n<td>{high}</td>" in page
    assert f"<td>{k_factor:.2f}</td>\n<td>0.20</td>\n<td>1.00</td>" in page
    assert f"<td>{experiment_id}</td>\n<td>signup_conversion</td>\n<td>2025-03-20</td>" in page
    assert f"<td>{winner}</td>" in page
