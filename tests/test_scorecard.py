"""The scorecard frame: the thirteen playbook metrics, their status rules and the CLI's JSON."""

import json
from datetime import date
from pathlib import Path

import dagster as dg
import pytest

from nexus_pipelines import scorecard as scorecard_module
from nexus_pipelines.cli import main
from nexus_pipelines.reports import build_report_assets
from nexus_pipelines.scorecard import build_scorecard_asset, compute_scorecard
from nexus_pipelines.warehouse import Warehouse

# The ids of the metric definitions' scorecard table, in its order.
METRIC_IDS = [
    "uptime_pct",
    "mttr_minutes",
    "mom_user_growth_pct",
    "activation_rate_pct",
    "d7_retention_pct",
    "d30_retention_pct",
    "ltv_to_cac",
    "portfolio_roi_pct",
    "nps",
    "support_resolution_hours",
    "regulatory_adherence_pct",
    "deploys_per_day",
    "process_improvement_pct",
]


def every_day(value: str) -> str:
    """A metric query giving each day of the range the value (an expression over `as_of`)."""
    return (
        f"select day::date as as_of, {value} as value "
        "from generate_series($first_day::date, $last_day::date, interval 1 day) as days(day)"
    )


# Values chosen by hand against the playbook's targets, including both boundaries:
# uptime 99.95 > 99.9 met; MTTR 45 < 30 missed; deploys 2.0 >= 2 met; activation 60 > 60 missed.
QUERIES = {
    "uptime_pct": every_day("99.95"),
    "mttr_minutes": every_day("45.0"),
    "deploys_per_day": every_day("2.0"),
    "activation_rate_pct": every_day("60.0"),
    "d7_retention_pct": every_day("null::double"),
    "nps": "select as_of, score as value from raw.no_such_table",
    "ltv_to_cac": every_day("as_of - date '2025-01-01'"),
}
EXPECTED = {
    "uptime_pct": ("met", 99.95),
    "mttr_minutes": ("missed", 45.0),
    "deploys_per_day": ("met", 2.0),
    "activation_rate_pct": ("missed", 60.0),
    "d7_retention_pct": ("no data", None),
    "nps": ("no data", None),
    "ltv_to_cac": ("met", 31.0),  # 2025-02-01 is 31 days after 2025-01-01: the day is bound
}
# The latest day of the February partition: 58 days after 2025-01-01.
LATEST = date(2025, 2, 28)


@pytest.fixture
def metric_queries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "scorecard_sql"
    folder.mkdir()
    for metric, sql in QUERIES.items():
        (folder / f"{metric}.sql").write_text(sql)
    monkeypatch.setattr(scorecard_module, "SCORECARD_SQL_DIR", folder)
    return folder


def test_without_queries_every_metric_reports_no_data(warehouse: Warehouse) -> None:
    with warehouse.get_connection() as connection:
        rows = compute_scorecard(connection, date(2025, 2, 1))
    assert [row.metric for row in rows] == METRIC_IDS
    assert {row.status for row in rows} == {"no data"}


def test_status_follows_comparator_and_target(warehouse: Warehouse, metric_queries: Path) -> None:
    with warehouse.get_connection() as connection:
        rows = {row.metric: row for row in compute_scorecard(connection, date(2025, 2, 1))}
    for metric, (status, value) in EXPECTED.items():
        assert (rows[metric].status, rows[metric].value) == (status, value), metric
    assert rows["uptime_pct"].owner == "Infrastructure Maintainer"
    assert rows["nps"].note.startswith("source not materialised")
    assert rows["process_improvement_pct"].status == "no data"


def test_cli_json_lists_the_thirteen_metrics(
    warehouse: Warehouse, metric_queries: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with warehouse.get_connection():
        pass  # creates the warehouse file
    assert main(["scorecard", "--as-of", "2025-02-01", "--json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert [record["metric"] for record in records] == METRIC_IDS
    assert all(
        set(record) == {"metric", "value", "target", "status", "owner", "as_of"}
        for record in records
    )
    uptime = records[0]
    assert uptime == {
        "metric": "uptime_pct",
        "value": 99.95,
        "target": 99.9,
        "status": "met",
        "owner": "Infrastructure Maintainer",
        "as_of": "2025-02-01",
    }


def test_cli_without_a_warehouse_says_how_to_build_one(
    project_env, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["scorecard"]) == 2
    assert "make demo" in capsys.readouterr().err


def test_a_query_returning_a_day_twice_or_outside_the_range_is_refused(
    warehouse: Warehouse, metric_queries: Path
) -> None:
    (metric_queries / "nps.sql").write_text("select $first_day::date - 1 as as_of, 1.0 as value")
    with warehouse.get_connection() as connection, pytest.raises(ValueError, match=r"nps\.sql"):
        compute_scorecard(connection, date(2025, 2, 1))


def test_scorecard_asset_stores_each_day_and_checks_the_latest(
    warehouse: Warehouse, metric_queries: Path
) -> None:
    for _ in range(2):  # a second run of the month replaces its days
        result = dg.materialize(
            [build_scorecard_asset()],
            resources={"warehouse": warehouse},
            partition_key="2025-02-01",
        )
        assert result.success
    checks = {c.check_name: c for c in result.get_asset_check_evaluations()}
    # a metric with no data has no evaluation: its check is not run, not failed
    assert set(checks) == {
        f"target_{metric}" for metric, (s, _) in EXPECTED.items() if s != "no data"
    }
    assert checks["target_uptime_pct"].passed
    assert not checks["target_mttr_minutes"].passed
    assert checks["target_ltv_to_cac"].metadata["value"].value == 58.0
    assert checks["target_mttr_minutes"].description == (
        "missed on 2025-02-28: 45.00 min against < 30 min"
    )
    assert all(c.severity == dg.AssetCheckSeverity.WARN for c in checks.values())
    with warehouse.get_connection(read_only=True) as connection:
        stored = connection.execute(
            "select count(*), count(distinct as_of), min(as_of), max(as_of) "
            "from reporting.scorecard"
        ).fetchone()
    # February, and the 3 days before it that a run scores again (late data)
    assert stored == (13 * 31, 31, date(2025, 1, 29), LATEST)


def test_scorecard_depends_on_exactly_the_tables_its_queries_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "mom_user_growth_pct.sql").write_text(
        "select count(*) as value from growth.daily_active_users where activity_date <= $as_of"
    )
    monkeypatch.setattr(scorecard_module, "SCORECARD_SQL_DIR", tmp_path)
    dau = dg.AssetKey(["growth", "daily_active_users"])
    signups = dg.AssetKey(["growth", "signups_by_channel_daily"])
    dau_prefix = dg.AssetKey(["growth", "daily_active"])
    assert scorecard_module.scorecard_sources([dau, signups, dau_prefix]) == [dau]


def test_scorecard_asset_materialises_when_every_metric_has_no_data(warehouse: Warehouse) -> None:
    """An empty warehouse (every source missing) is a normal state: 13 rows a day of "no data",
    and no check evaluated (none failed)."""
    result = dg.materialize(
        [build_scorecard_asset()], resources={"warehouse": warehouse}, partition_key="2025-02-01"
    )
    assert result.success
    assert result.get_asset_check_evaluations() == []
    (materialization,) = result.asset_materializations_for_node("reporting__scorecard")
    assert materialization.metadata["metrics_no_data"].value == 13
    with warehouse.get_connection(read_only=True) as connection:
        stored = connection.execute(
            "select count(*), count(value), count(*) filter (where status = 'no data') "
            "from reporting.scorecard"
        ).fetchone()
    assert stored == (13 * 31, 0, 13 * 31)


def test_a_cadence_review_lists_its_activities_and_the_metrics_its_roles_own(
    warehouse: Warehouse, metric_queries: Path
) -> None:
    """The daily cadence's three roles (Analytics Reporter, Support Responder, Infrastructure
    Maintainer) own six of the thirteen metrics; the review shows them in the playbook's order."""
    [daily_review] = [
        asset
        for asset in build_report_assets()
        if asset.key == dg.AssetKey(["reporting", "daily_review"])
    ]
    for _ in range(2):  # a second run the same day replaces that day's review
        result = dg.materialize(
            [build_scorecard_asset(), daily_review],
            resources={"warehouse": warehouse},
            partition_key="2025-02-01",
        )
        assert result.success
    [event] = result.asset_materializations_for_node("reporting__daily_review")
    assert event.metadata["activities_rows"].value == 3
    assert event.metadata["metrics_rows"].value == 6
    # uptime met; MTTR and activation missed; day-7, day-30 retention and support no data
    assert [event.metadata[f"metrics_{s}"].value for s in ("met", "missed", "no_data")] == [1, 2, 3]
    with warehouse.get_connection(read_only=True) as connection:
        [(cadence, as_of, text)] = connection.execute(
            "select cadence, as_of, report_markdown from reporting.cadence_reviews"
        ).fetchall()
    # the review's day is its partition's last (February: there is no raw data to end sooner),
    # its metrics the latest scored
    assert cadence == "daily" and as_of == date(2025, 2, 28) >= LATEST
    day = f"{LATEST:%Y-%m-%d}"
    assert text.startswith(f"# Daily review, as of {as_of:%Y-%m-%d}\n")
    assert (
        "| role | activity | output |\n|---|---|---|\n"
        "| Analytics Reporter | KPI dashboard update | Daily metrics snapshot |\n"
        "| Support Responder | Issue triage and resolution | Support ticket summary |\n"
        "| Infrastructure Maintainer | System health check | Health status report |\n"
    ) in text
    assert (
        "| metric | status | value | target | owner | scored_on |\n|---|---|---|---|---|---|\n"
        f"| System uptime | met | 99.95 | > 99.9 % | Infrastructure Maintainer | {day} |\n"
        f"| MTTR | missed | 45.00 | < 30 min | Infrastructure Maintainer | {day} |\n"
        f"| Activation rate | missed | 60.00 | > 60 % | Analytics Reporter | {day} |\n"
        f"| Day 7 retention | no data |  | > 40 % | Analytics Reporter | {day} |\n"
        f"| Day 30 retention | no data |  | > 20 % | Analytics Reporter | {day} |\n"
        f"| Support resolution time | no data |  | < 4 h | Support Responder | {day} |\n"
    ) in text
