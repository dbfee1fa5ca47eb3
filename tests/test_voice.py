"""Customer voice on small hand-worked inputs (times UTC, the reporting timezone).

NPS, March 2025: ten answers, users 1-10 (user 10 unknown to raw.users):
  u1 10, u2 10, u3 9 (smb); u4 9, u5 9 (enterprise)  -> 5 promoters
  u6 8 (smb), u7 7 (enterprise)                       -> 2 passives
  u8 6 (smb), u9 3 (enterprise), u10 0 (unknown)      -> 3 detractors
  Whole base: p_pro = 5/10, p_det = 3/10, NPS = 100 x (0.5 - 0.3) = 20;
  var = (0.5 + 0.3 - 0.2^2) / 10 = 0.076, margin = 1.96 x 100 x sqrt(0.076) = 54.0335,
  interval [-34.0335, 74.0335].
  smb (u1 u2 u3 P, u6 passive, u8 D): n 5, NPS 100 x (3 - 1) / 5 = 40;
  var = (0.6 + 0.2 - 0.4^2) / 5 = 0.128, margin = 196 x 0.357771 = 70.1231 -> [-30.1231, 100]
  (110.1231 cut to the scale's end).
  enterprise (u4 u5 P, u7 passive, u9 D): n 4, NPS 100 x (2 - 1) / 4 = 25;
  var = (0.75 - 0.25^2) / 4 = 0.171875, margin = 196 x 0.414578 = 81.2573 -> [-56.2573, 100].
  unknown (u10): n 1, under any minimum of 2 or more: NULL.
  Product main (u1-u9): n 9, 5 P, 2 D -> 100 x 3 / 9 = 33.3333; var = (7/9 - (3/9)^2) / 9 =
  0.0740741, margin = 196 x 0.2721655 = 53.3444 -> [-20.0111, 86.6778].
"""

from datetime import date
from pathlib import Path

import dagster as dg
import pytest
import report_runs
import yaml
from deployment import deployment, nexus
from pictures import decoded_png

from nexus_pipelines.domains.voice import HOOKS
from nexus_pipelines.ingest import ensure_ingest_tables
from nexus_pipelines.project import project
from nexus_pipelines.reports import build_report_assets
from nexus_pipelines.scorecard import compute_days
from nexus_pipelines.settings import PROJECT_DIR
from nexus_pipelines.sql_assets import WrittenRows, build_sql_asset, load_declarations
from nexus_pipelines.warehouse import Warehouse

MARCH_SCORES = [(1, 10), (2, 10), (3, 9), (4, 9), (5, 9), (6, 8), (7, 7), (8, 6), (9, 3), (10, 0)]
SEGMENTS = {1: "smb", 2: "smb", 3: "smb", 4: "enterprise", 5: "enterprise", 6: "smb",
            7: "enterprise", 8: "smb", 9: "enterprise"}  # fmt: skip


def sql_asset(name: str) -> dg.AssetsDefinition:
    return build_sql_asset(next(d for d in load_declarations() if d.name == name))


def use_settings(monkeypatch: pytest.MonkeyPatch, **changes: object) -> None:
    for name, value in changes.items():
        monkeypatch.setitem(project().metric_settings, name, value)


def load_users(warehouse: Warehouse, segments: dict[int, str]) -> None:
    with warehouse.get_connection() as connection:
        ensure_ingest_tables(connection)
        connection.executemany(
            "insert into raw.users (user_id, signup_at, acquisition_channel, segment, product_id) "
            "values ($1, '2025-01-01 00:00:00+00', 'organic', $2, 'main')",
            list(segments.items()),
        )


def load_answers(warehouse: Warehouse, answers: list[tuple[int, str, int]]) -> None:
    """(user, UTC time, score) answers."""
    with warehouse.get_connection() as connection:
        ensure_ingest_tables(connection)
        connection.executemany(
            "insert into raw.nps_responses values ($1, $2, $3, $4)",
            [(f"n{i}", user, f"{at}+00", score) for i, (user, at, score) in enumerate(answers)],
        )


def materialize(warehouse: Warehouse, assets: list, first: str = "", last: str = "") -> dict:
    """Materialise; every check must pass. Returns the check results by name."""
    tags = (
        {"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last}
        if first
        else {}
    )
    result = dg.materialize(assets, resources={"warehouse": warehouse}, tags=tags)
    assert result.success
    checks = {c.check_name: c for c in result.get_asset_check_evaluations()}
    assert all(check.passed for check in checks.values()), checks
    return {"checks": checks, "result": result}


def rows(warehouse: Warehouse, sql: str) -> list[tuple]:
    with warehouse.get_connection(read_only=True) as connection:
        return connection.execute(sql).fetchall()


@pytest.fixture
def march(warehouse: Warehouse) -> Warehouse:
    load_users(warehouse, SEGMENTS)
    load_answers(warehouse, [(u, f"2025-03-{u + 1:02d} 12:00:00", s) for u, s in MARCH_SCORES])
    return warehouse


NPS_SQL = (
    "select breakdown, breakdown_value, responses, promoters, passives, detractors, "
    "round(nps, 4), round(nps_margin, 4), round(nps_ci_low, 4), round(nps_ci_high, 4) "
    "from voice.nps_monthly where month = '2025-03-01' order by breakdown, breakdown_value"
)


def test_nps_per_month_segment_and_product_with_its_interval(
    march: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_settings(monkeypatch, voice_nps_min_responses=2)
    outcome = materialize(march, [sql_asset("nps_monthly")])
    assert rows(march, NPS_SQL) == [
        ("all", "all", 10, 5, 2, 3, 20.0, 54.0335, -34.0335, 74.0335),
        ("product", "main", 9, 5, 2, 2, 33.3333, 53.3444, -20.0111, 86.6778),
        ("product", "unknown", 1, 0, 0, 1, None, None, None, None),
        ("segment", "enterprise", 4, 2, 1, 1, 25.0, 81.2573, -56.2573, 100.0),
        ("segment", "smb", 5, 3, 1, 1, 40.0, 70.1231, -30.1231, 100.0),
        ("segment", "unknown", 1, 0, 0, 1, None, None, None, None),
    ]
    assert outcome["checks"]["nps_within_scale"].metadata["rows_outside_scale"].value == 0
    assert outcome["checks"]["nps_groups_add_up"].passed
    assert rows(
        march,
        "select is_complete, promoter_pct, detractor_pct from voice.nps_monthly "
        "where breakdown = 'all'",
    ) == [(True, 50.0, 30.0)]
    [event] = outcome["result"].asset_materializations_for_node("voice__nps_monthly")
    assert event.metadata["nps_last_complete_month"].value == 20.0
    for picture in ("nps_trend", "nps_by_segment_and_product"):
        assert decoded_png(event.metadata[picture].value).size[0] > 400


def test_nps_is_null_under_the_minimum_sample(march: Warehouse) -> None:
    """The default minimum is 30 answers: ten answers give counts but no NPS and no interval."""
    assert project().metric_settings["voice_nps_min_responses"] == 30
    materialize(march, [sql_asset("nps_monthly")])
    assert rows(march, NPS_SQL)[0] == ("all", "all", 10, 5, 2, 3, None, None, None, None)
    assert rows(march, "select count(nps) from voice.nps_monthly") == [(0,)]


# The scorecard's trailing 90 days (window as_of - 89 .. as_of), with a minimum of 4 answers:
#   01-01: u1 10, u2 0             03-30: u3 9, u4 9, u5 7            03-31: u6 2
#   04-01: u7 10
#   03-29: window 12-30 .. 03-29 holds 01-01 only: n 2 < 4 -> no value
#   03-30: 01-01 + 03-30: n 5, 3 P, 1 D -> 100 x 2 / 5 = 40
#   03-31: window 01-01 .. 03-31: n 6, 3 P, 2 D -> 100 x 1 / 6 = 16.667
#   04-01: window 01-02 .. 04-01 (01-01 has left it): n 5, 3 P, 1 D -> 40
SCORECARD_ANSWERS = [
    (1, "2025-01-01 08:00:00", 10),
    (2, "2025-01-01 09:00:00", 0),
    (3, "2025-03-30 10:00:00", 9),
    (4, "2025-03-30 11:00:00", 9),
    (5, "2025-03-30 12:00:00", 7),
    (6, "2025-03-31 23:59:00", 2),
    (7, "2025-04-01 00:00:00", 10),
]


def test_scorecard_nps_per_day_over_its_trailing_window(
    warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_answers(warehouse, SCORECARD_ANSWERS)
    outcome = materialize(warehouse, [sql_asset("nps_daily")], "2025-01-01", "2025-04-01")
    assert outcome["checks"]["nps_groups_add_up"].passed
    assert rows(
        warehouse,
        "select response_date::varchar, responses, promoters, passives, detractors "
        "from voice.nps_daily where responses > 0 order by 1",
    ) == [
        ("2025-01-01", 2, 1, 0, 1),
        ("2025-03-30", 3, 2, 1, 0),
        ("2025-03-31", 1, 0, 0, 1),
        ("2025-04-01", 1, 1, 0, 0),
    ]
    # every day of the four months, days without answers as 0, and the 3 days of look-back
    # before January (late answers)
    assert rows(warehouse, "select count(*), min(response_date)::varchar from voice.nps_daily") == [
        (31 + 28 + 31 + 30 + 3, "2024-12-29")
    ]

    def scored() -> dict[str, float | None]:
        with warehouse.get_connection(read_only=True) as connection:
            days = compute_days(connection, date(2025, 3, 29), date(2025, 4, 1))
        return {row.as_of: row.value for row in days if row.metric == "nps"}

    # the default minimum, 30 answers: no day has a value
    assert set(scored().values()) == {None}
    use_settings(monkeypatch, voice_nps_min_responses=4)
    values = scored()
    assert values["2025-03-29"] is None
    assert values["2025-03-30"] == 40.0
    assert round(values["2025-03-31"], 3) == 16.667
    assert values["2025-04-01"] == 40.0


# Feedback themes, five ISO weeks (Mondays 03-03, 03-10, 03-17, 03-24, 03-31), trailing 4 weeks:
#   pricing: 1 (negative), 2 (positive, neutral), 0, 1 (negative), then 4 (3 negative, 1 positive)
#   bugs:    1, 0, 1, 1, then 1 (all neutral)
#   Week 03-31: pricing 4 of 5 = 80 %; trailing mean (1 + 2 + 0 + 1) / 4 = 1.0, change
#   (4 - 1) / 1 = +300 %; trailing share 4 / (2 + 2 + 1 + 2) = 57.143 %, change +22.857 pp;
#   mean sentiment (-1 -1 -1 +1) / 4 = -0.5 against (-1 + 1 + 0 - 1) / 4 = -0.25: -0.25.
#   Week 03-17: pricing had no feedback, a row of 0 with no sentiment; no week before 03-31 has
#   four weeks before it, so none has a comparison.
THEME_ITEMS = [
    ("2025-03-05", "pricing", "negative"),
    ("2025-03-05", "bugs", "neutral"),
    ("2025-03-12", "pricing", "positive"),
    ("2025-03-12", "pricing", "neutral"),
    ("2025-03-19", "bugs", "neutral"),
    ("2025-03-26", "pricing", "negative"),
    ("2025-03-26", "bugs", "neutral"),
    ("2025-04-02", "pricing", "negative"),
    ("2025-04-02", "pricing", "negative"),
    ("2025-04-03", "pricing", "negative"),
    ("2025-04-06", "pricing", "positive"),
    ("2025-04-06", "bugs", "neutral"),
]


def load_feedback(warehouse: Warehouse, items: list[tuple]) -> None:
    """(id, user or None, UTC time, theme, sentiment) items."""
    with warehouse.get_connection() as connection:
        ensure_ingest_tables(connection)
        connection.executemany(
            "insert into raw.feedback_items values ($1, $2, $3, 'in_app', $4, $5)",
            [(i, user, f"{at}+00", theme, s) for i, user, at, theme, s in items],
        )


def test_feedback_themes_against_the_trailing_four_weeks(warehouse: Warehouse) -> None:
    load_feedback(
        warehouse,
        [(f"f{i}", None, f"{day} 12:00:00", t, s) for i, (day, t, s) in enumerate(THEME_ITEMS)],
    )
    outcome = materialize(warehouse, [sql_asset("feedback_themes_weekly")])
    assert outcome["checks"]["sentiment_within_scale"].passed
    assert rows(
        warehouse,
        "select theme, feedback_items, week_items, round(share_pct, 3), mean_sentiment, "
        "trailing_mean_items, round(items_change_pct, 3), round(trailing_share_pct, 3), "
        "round(share_change_pct_points, 3), trailing_mean_sentiment, sentiment_change "
        "from voice.feedback_themes_weekly where week_start = '2025-03-31' order by theme",
    ) == [
        ("bugs", 1, 5, 20.0, 0.0, 0.75, 33.333, 42.857, -22.857, 0.0, 0.0),
        ("pricing", 4, 5, 80.0, -0.5, 1.0, 300.0, 57.143, 22.857, -0.25, -0.25),
    ]
    assert rows(
        warehouse,
        "select feedback_items, share_pct, mean_sentiment from voice.feedback_themes_weekly "
        "where week_start = '2025-03-17' and theme = 'pricing'",
    ) == [(0, 0.0, None)]
    assert rows(
        warehouse,
        "select count(*), count(trailing_mean_items), bool_and(is_complete) "
        "from voice.feedback_themes_weekly",
    ) == [(10, 2, True)]
    [event] = outcome["result"].asset_materializations_for_node("voice__feedback_themes_weekly")
    assert decoded_png(event.metadata["theme_trends"].value).size[0] > 400
    assert event.metadata["feedback_items_last_complete_week"].value == 5


# The bi-weekly analysis, with one trailing fortnight and at least 2 items to rank a theme.
# Weeks 03-03 (W1), 03-10 (W2), 03-17 (W3), 03-24 (W4): the fortnight is W3 + W4 (03-17 .. 03-30),
# its baseline W1 + W2.
#   a1 W1 pricing u1 | a2 W1 bugs u2 | a3 W2 pricing u3 | a4 W2 bugs u4
#   a5 W3 pricing u1 negative | a6 W3 pricing u5 | a7 W3 bugs anonymous
#   a8 W4 pricing u2 negative | a9 W4 pricing u6
# Rising: baseline pricing 2 of 4 = 50 %, fortnight 4 of 5 = 80 %: +30 pp, items (4 - 2) / 2 =
#   +100 %, rank 1, examples a9, a8, a6 (latest first); bugs 1 of 5 = 20 %: -30 pp, not ranked.
# Detractors (latest NPS answer by 03-30): u1 10 on 01-05 then 3 on 03-01 -> detractor; u2 4 ->
#   detractor; u4 6 -> detractor; u6 8 -> passive; u3 answers only on 04-05 (after): not rated;
#   u5 never. pricing rated a1 a5 a8 a9: 3 detractors of 4 = 75 %; bugs a2 a4: 2 of 2 = 100 %;
#   all themes 5 of 6: lifts 0.75 / (5/6) = 0.9 and 1.0 / (5/6) = 1.2. pricing's examples,
#   negative first then latest: a8, a5, a1; bugs: a4, a2.
# Churned (latest MRR movement by 03-30): u1 churn (02); u2 reactivation (03) after a churn: not;
#   u3 new (its churn is in April); u4 retained; u6 churn (03); u5 no billing: not a customer.
#   pricing customers a1 a3 a5 a8 a9: churned a1 a5 a9 = 3 of 5 = 60 %; bugs a2 a4: 0 of 2;
#   all 3 of 7: lift 0.6 / (3/7) = 1.4 and 0. pricing's examples: a5 (negative), a9, a1.
INSIGHT_ITEMS = [
    ("a1", 1, "2025-03-05 12:00:00", "pricing", "neutral"),
    ("a2", 2, "2025-03-05 12:00:00", "bugs", "neutral"),
    ("a3", 3, "2025-03-12 12:00:00", "pricing", "neutral"),
    ("a4", 4, "2025-03-12 12:00:00", "bugs", "neutral"),
    ("a5", 1, "2025-03-19 10:00:00", "pricing", "negative"),
    ("a6", 5, "2025-03-19 11:00:00", "pricing", "positive"),
    ("a7", None, "2025-03-19 12:00:00", "bugs", "neutral"),
    ("a8", 2, "2025-03-26 10:00:00", "pricing", "negative"),
    ("a9", 6, "2025-03-26 11:00:00", "pricing", "neutral"),
]
INSIGHT_ANSWERS = [
    (1, "2025-01-05 12:00:00", 10),
    (1, "2025-03-01 12:00:00", 3),
    (2, "2025-02-01 12:00:00", 4),
    (4, "2025-02-01 12:00:00", 6),
    (6, "2025-02-01 12:00:00", 8),
    (3, "2025-04-05 12:00:00", 2),
]
MOVEMENTS = [
    ("2025-01-01", 1, "new"), ("2025-02-01", 1, "churn"),
    ("2025-01-01", 2, "new"), ("2025-02-01", 2, "churn"), ("2025-03-01", 2, "reactivation"),
    ("2025-02-01", 3, "new"), ("2025-04-01", 3, "churn"),
    ("2025-01-01", 4, "new"), ("2025-02-01", 4, "retained"),
    ("2025-01-01", 6, "new"), ("2025-03-01", 6, "churn"),
]  # fmt: skip


@pytest.fixture
def insights(warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch) -> Warehouse:
    use_settings(monkeypatch, voice_theme_trailing_periods=1, voice_theme_min_items=2)
    load_feedback(warehouse, INSIGHT_ITEMS)
    load_answers(warehouse, INSIGHT_ANSWERS)
    with warehouse.get_connection() as connection:
        # revenue's table as the revenue domain writes it, the columns the analysis reads
        connection.execute(
            "create table revenue.mrr_movements (month date, customer_id bigint, movement varchar)"
        )
        connection.executemany("insert into revenue.mrr_movements values ($1, $2, $3)", MOVEMENTS)
    materialize(warehouse, [sql_asset("feedback_themes_weekly"), sql_asset("feedback_insights")])
    return warehouse


def test_biweekly_insights_rising_and_concentrated_themes(insights: Warehouse) -> None:
    assert rows(
        insights,
        "select theme, fortnight_start::varchar, fortnight_end::varchar, fortnight_items, "
        "round(fortnight_share_pct, 3), baseline_mean_items, round(baseline_share_pct, 3), "
        "round(items_change_pct, 3), round(share_change_pct_points, 3), rising_rank, "
        "rising_example_ids from voice.feedback_insights where fortnight_end = '2025-03-30' "
        "order by theme",
    ) == [
        ("bugs", "2025-03-17", "2025-03-30", 1, 20.0, 2.0, 50.0, -50.0, -30.0, None, "a7"),
        ("pricing", "2025-03-17", "2025-03-30", 4, 80.0, 2.0, 50.0, 100.0, 30.0, 1,
         "a9, a8, a6"),
    ]  # fmt: skip
    assert rows(
        insights,
        "select theme, window_start::varchar, rated_items, detractor_items, "
        "round(detractor_share_pct, 3), round(detractor_lift, 3), detractor_example_ids, "
        "customer_items, churned_items, round(churned_share_pct, 3), round(churned_lift, 3), "
        "churned_example_ids from voice.feedback_insights where fortnight_end = '2025-03-30' "
        "order by theme",
    ) == [
        ("bugs", "2024-12-31", 2, 2, 100.0, 1.2, "a4, a2", 2, 0, 0.0, 0.0, None),
        ("pricing", "2024-12-31", 4, 3, 75.0, 0.9, "a8, a5, a1", 5, 3, 60.0, 1.4,
         "a5, a9, a1"),
    ]  # fmt: skip


def report_asset(name: str) -> dg.AssetsDefinition:
    [report] = [a for a in build_report_assets() if a.key == dg.AssetKey(["voice", name])]
    return report


def report_text(result: dg.ExecuteInProcessResult, name: str) -> str:
    [event] = result.asset_materializations_for_node(f"voice__{name}")
    return event.metadata["report"].value


def report_of_week(warehouse: Warehouse, name: str, week: str) -> str:
    """The report of the partition of ISO week `week`, as a backfill renders a past period."""
    result = dg.materialize(
        [report_asset(name)], resources={"warehouse": warehouse}, partition_key=week
    )
    assert result.success
    return report_text(result, name)


def test_the_biweekly_report_names_the_findings_and_their_examples(insights: Warehouse) -> None:
    """The data ends on 04-05 (u3's answer), a Saturday: the report is as of it, its fortnight the
    two complete ISO weeks up to then, 03-17 .. 03-30, the fortnight worked out above."""
    result = report_runs.materialize(
        [report_asset("biweekly_insights_report")], {"warehouse": insights}
    )
    assert result.success
    text = report_text(result, "biweekly_insights_report")
    assert "as of 2025-04-05" in text
    assert "## Feedback items in the fortnight\n\n**5** items" in text
    rising = text.split("## Rising fastest")[1].split("## ")[0]
    assert (
        "| 1 | pricing | 2025-03-17 | 4 | 80.00 | 50.00 | 30.00 | 100.00 | -0.25 | a9, a8, a6 |"
        in rising
    )
    assert "bugs" not in rising
    detractors = text.split("## Concentrated in detractors")[1].split("## ")[0]
    assert "| bugs | 2024-12-31 | 2 | 2 | 100.00 | 1.20 | a4, a2 |" in detractors
    assert "pricing" not in detractors  # lift 0.9: not concentrated
    churned = text.split("## Concentrated in churned customers")[1]
    assert "| pricing | 2024-12-31 | 5 | 3 | 60.00 | 1.40 | a5, a9, a1 |" in churned


def test_each_fortnight_is_analysed_and_an_earlier_ones_report_reads_its_own(
    insights: Warehouse,
) -> None:
    """The fortnight W2 + W3 (03-10 .. 03-23), baseline W1 (one trailing fortnight, a full one
    only: two weeks): W1 is one week, so no baseline and nothing ranked as rising. Its items: a3
    (pricing), a4 (bugs), a5 a6 (pricing), a7 (bugs): pricing 3 of 5 = 60 %. Concentration over
    the 90 days to 03-23 (a1 .. a7 with an author): latest answers by 03-23 as above (u3's is
    after): pricing rated a1 a5 (u1 detractor, 2 of 2), bugs a2 a4 (2 of 2): 4 of 4, lift 1.0 each;
    churned: pricing customers a1 a3 a5 (u1 churned: a1 a5), bugs a2 a4 (neither): 2 of 5 overall,
    pricing 2 / 3 / 0.4 = 1.667. The report of W3's partition (as of Sunday 03-23) shows that
    fortnight: 5 items, no rising theme, pricing concentrated in churned customers. The partition
    of W1 (as of 03-09) reads the fortnight 02-24 .. 03-09: W1's 2 items (the data starts then);
    that of 02-10 (as of 02-16), before any feedback, says 0 items."""
    assert rows(
        insights,
        "select theme, fortnight_items, round(fortnight_share_pct, 3), baseline_share_pct, "
        "rising_rank, rated_items, detractor_items, round(detractor_lift, 3), customer_items, "
        "churned_items, round(churned_lift, 3) from voice.feedback_insights "
        "where fortnight_end = '2025-03-23' order by theme",
    ) == [
        ("bugs", 2, 40.0, None, None, 2, 2, 1.0, 2, 0, 0.0),
        ("pricing", 3, 60.0, None, None, 2, 2, 1.0, 3, 2, 1.667),
    ]
    text = report_of_week(insights, "biweekly_insights_report", "2025-03-17")
    assert "as of 2025-03-23" in text
    assert "## Feedback items in the fortnight\n\n**5** items" in text
    assert "| pricing | 2024-12-24 | 3 | 2 | 66.67 | 1.67 | a5, a1 |" in text
    first = report_of_week(insights, "biweekly_insights_report", "2025-03-03")
    assert "## Feedback items in the fortnight\n\n**2** items" in first
    before = report_of_week(insights, "biweekly_insights_report", "2025-02-10")
    assert "## Feedback items in the fortnight\n\n**0** items" in before


# The weekly summary on March's answers (min 2 answers) and the five weeks of themes above: the
# data ends on Sunday 04-06, so the week is 03-31 .. 04-06.
#   NPS per month: March, 10 answers, NPS 20 [-34.0335, 74.0335], complete by 04-06; April has
#   no answers (no row). Breakdowns: March, the latest month complete by 04-06 (smb 40, ...).
#   Themes: pricing 4 (80 %, +300 %, sentiment -0.5), bugs 1.
# The partition of 03-03 (as of Sunday 03-09): March so far, u1 .. u8 (answers 03-02 .. 03-09):
#   promoters u1-u5 = 5, detractors u8 = 1 of 8: NPS 100 x 4 / 8 = 50, not complete; no month
#   complete by 03-09 has answers (one 'none' row); themes of week 03-03: pricing 1, bugs 1.
@pytest.fixture
def weekly(march: Warehouse, monkeypatch: pytest.MonkeyPatch) -> Warehouse:
    use_settings(monkeypatch, voice_nps_min_responses=2)
    load_feedback(
        march,
        [(f"f{i}", None, f"{day} 12:00:00", t, s) for i, (day, t, s) in enumerate(THEME_ITEMS)],
    )
    materialize(march, [sql_asset("nps_daily")], "2025-03-01", "2025-04-01")
    materialize(march, [sql_asset("nps_monthly"), sql_asset("feedback_themes_weekly")])
    return march


def test_the_weekly_summary_of_the_week_and_of_an_earlier_one(weekly: Warehouse) -> None:
    result = report_runs.materialize(
        [report_asset("weekly_feedback_summary")], {"warehouse": weekly}
    )
    assert result.success
    text = report_text(result, "weekly_feedback_summary")
    assert "as of 2025-04-06" in text
    months = text.split("## NPS per month")[1].split("## ")[0]
    assert "| 2025-03-01 | yes | 10 | 50.00 | 30.00 | 20.00 | -34.03 | 74.03 |" in months
    assert "2025-04-01" not in months
    breakdowns = text.split("## NPS by segment")[1].split("## ")[0]
    assert "| segment | smb | 5 | 40.00 | -30.12 | 100.00 |" in breakdowns
    themes = text.split("## Feedback themes")[1]
    assert "| 2025-03-31 | pricing | 4 | 80.00 | -0.50 | 1.00 | 300.00 | 22.86 | -0.25 |" in themes

    earlier = report_of_week(weekly, "weekly_feedback_summary", "2025-03-03")
    assert "as of 2025-03-09" in earlier
    months = earlier.split("## NPS per month")[1].split("## ")[0]
    assert "| 2025-03-01 | no | 8 | 62.50 | 12.50 | 50.00 |" in months
    breakdowns = earlier.split("## NPS by segment")[1].split("## ")[0]
    assert "| none: no complete month with NPS answers by 2025-03-09 |" in breakdowns
    themes = earlier.split("## Feedback themes")[1]
    assert "| 2025-03-03 | bugs | 1 | 50.00 | 0.00 |" in themes
    assert "| 2025-03-03 | pricing | 1 | 50.00 | -1.00 |" in themes


def test_the_weekly_summary_says_so_when_the_week_had_no_feedback(weekly: Warehouse) -> None:
    """The partition of 2025-04-14 (after the data: as of its Sunday, 04-20): no feedback that
    week, one row says so; the NPS months still show March."""
    text = report_of_week(weekly, "weekly_feedback_summary", "2025-04-14")
    assert "as of 2025-04-20" in text
    assert "| 2025-04-14 | none: no feedback in the week | 0 |" in text
    assert "| 2025-03-01 | yes | 10 |" in text


def test_the_voice_reports_export_as_html(
    weekly: Warehouse, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """`nexus report <name> --format html` of the stored versions: every section's title, and
    figures read here from the tables the reports read (no billing loaded: no customers)."""
    with weekly.get_connection() as connection:
        connection.execute(
            "create table revenue.mrr_movements (month date, customer_id bigint, movement varchar)"
        )
    materialize(weekly, [sql_asset("feedback_insights")])
    report_runs.materialize(
        [report_asset("weekly_feedback_summary"), report_asset("biweekly_insights_report")],
        {"warehouse": weekly},
    )
    env = deployment(tmp_path / "cli", NEXUS_DUCKDB_PATH=str(weekly.resolved_path()))
    [(responses, nps)] = rows(
        weekly,
        "select responses, round(nps, 2) from voice.nps_monthly "
        "where breakdown = 'all' and month = '2025-03-01'",
    )
    [(top_theme, top_items)] = rows(
        weekly,
        "select theme, feedback_items from voice.feedback_themes_weekly "
        "where week_start = '2025-03-31' order by feedback_items desc limit 1",
    )
    [(fortnight_items,)] = rows(
        weekly,
        "select sum(feedback_items) from voice.feedback_themes_weekly "
        "where week_start between '2025-03-24' and '2025-03-31'",
    )
    spec = yaml.safe_load((PROJECT_DIR / "assets/domains/voice/reports.yaml").read_text())
    titles = {r["name"]: [s["title"] for s in r["sections"]] for r in spec["reports"]}
    for name, figures in [
        (
            "weekly_feedback_summary",
            [f"<td>{responses}</td>", f"<td>{nps:.2f}</td>", f"<td>{top_theme}</td>",
             f"<td>{top_items}</td>"],
        ),
        ("biweekly_insights_report", [f"<strong>{fortnight_items}</strong>"]),
    ]:  # fmt: skip
        out = tmp_path / f"{name}.html"
        nexus(env, "report", name, "--format", "html", "--out", str(out))
        page = out.read_text(encoding="utf-8")
        assert "as of 2025-04-06" in page
        for title in titles[name]:
            assert f"<h2>{title}</h2>" in page
        for figure in figures:
            assert figure in page


def test_a_value_off_the_scale_fails_its_check(warehouse: Warehouse) -> None:
    """The query cannot write an NPS off the -100..100 scale, so the table is written by hand."""
    declaration = next(d for d in load_declarations() if d.name == "nps_monthly")
    with warehouse.get_connection() as connection:
        connection.execute(
            "create table voice.nps_monthly as select 120.0 as nps, 0.0 as nps_ci_low, "
            "100.0 as nps_ci_high union all select 10.0, -20.0, 40.0"
        )
        result = HOOKS["nps_within_scale"].evaluate(
            connection,
            declaration,
            WrittenRows("true", {}, None),
            {"columns": ["nps", "nps_ci_low", "nps_ci_high"], "low": -100, "high": 100},
        )
    assert not result.passed
    assert result.metadata["rows_outside_scale"].value == 1
