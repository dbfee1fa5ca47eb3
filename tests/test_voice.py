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

import dagster as dg
import pytest
from pictures import decoded_png

from nexus_pipelines.domains.voice import HOOKS
from nexus_pipelines.ingest import ensure_ingest_tables
from nexus_pipelines.project import project
from nexus_pipelines.reports import build_report_assets
from nexus_pipelines.scorecard import compute_days
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
        "rising_example_ids from voice.feedback_insights order by theme",
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
        "churned_example_ids from voice.feedback_insights order by theme",
    ) == [
        ("bugs", "2024-12-31", 2, 2, 100.0, 1.2, "a4, a2", 2, 0, 0.0, 0.0, None),
        ("pricing", "2024-12-31", 4, 3, 75.0, 0.9, "a8, a5, a1", 5, 3, 60.0, 1.4,
         "a5, a9, a1"),
    ]  # fmt: skip


def test_the_biweekly_report_names_the_findings_and_their_examples(insights: Warehouse) -> None:
    [report] = [
        asset
        for asset in build_report_assets()
        if asset.key == dg.AssetKey(["voice", "biweekly_insights_report"])
    ]
    outcome = materialize(insights, [report])
    [event] = outcome["result"].asset_materializations_for_node("voice__biweekly_insights_report")
    text = event.metadata["report"].value
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
