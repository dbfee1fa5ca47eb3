"""What the UI shows of every table's columns and of every asset's freshness, read through
Dagster's GraphQL API (what the UI itself queries) on a real instance after a small demo.

Columns: each table an asset names (`dagster/table_name`) has a column schema, from its latest
materialisation or its definition, listing exactly the columns DuckDB has, each with a
description; every derived table of the warehouse is some asset's table.

Freshness, derived by hand from assets/playbook/cadences.yaml (reporting timezone UTC): the daily
schedule ticks at 06:00 and its assets are due two hours later, materialised since the midnight
before: deadline `0 8 * * *`, lower bound 8 h. So an asset materialised on day X is fresh until
08:00 on day X+1 and stale from then on. Monthly: tick 08:00 on the 1st, due a day later (by the
2nd at 08:00), since the 1st's midnight (32 h). Weekly: Monday 07:00 + 2 h (9 h). Bi-weekly: cron
cannot say every other week, so within two weeks and two hours of the last run. Raw tables: the
day before's export loaded by the daily tick, since midnight: `0 6 * * *`, 6 h.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
from dagster._core.remote_origin import InProcessCodeLocationOrigin
from dagster._core.test_utils import freeze_time
from dagster._core.types.loadable_target_origin import LoadableTargetOrigin
from dagster._core.workspace.context import WorkspaceProcessContext
from dagster._core.workspace.load_target import InProcessWorkspaceLoadTarget
from dagster._daemon.freshness import FreshnessDaemon
from dagster_graphql.test.utils import execute_dagster_graphql
from deployment import (
    YESTERDAY,
    days_with_a_complete_quarter,
    deployment,
    instance_of,
    nexus,
    query,
)

from nexus_pipelines.project import DeclarationError, Domain
from nexus_pipelines.settings import PROJECT_DIR
from nexus_pipelines.sql_assets import SqlAssetSpec
from nexus_pipelines.warehouse import deadline_cron

SCHEMA_FIELDS = """
    label
    ... on TextMetadataEntry { text }
    ... on TableSchemaMetadataEntry { schema { columns { name description } } }
"""
ASSETS = f"""
{{
  assetNodes {{
    assetKey {{ path }}
    metadataEntries {{ {SCHEMA_FIELDS} }}
    assetMaterializations(limit: 1) {{ metadataEntries {{ {SCHEMA_FIELDS} }} }}
    internalFreshnessPolicy {{
      __typename
      ... on CronFreshnessPolicy {{ deadlineCron lowerBoundDeltaSeconds timezone }}
      ... on TimeWindowFreshnessPolicy {{ failWindowSeconds }}
    }}
    freshnessStatusInfo {{ freshnessStatus }}
  }}
}}
"""
HOUR = 3600
# Dagster's own snapshot of a schedule reads this deprecated property when a workspace loads the
# code location in process (the webserver's code server does the same); no code here uses it.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Property `ScheduleDefinition.environment_vars` is deprecated:DeprecationWarning"
)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A small generated company loaded and materialised by `nexus materialize`, recorded in a
    real (SQLite) instance as the UI would read it."""
    root = tmp_path_factory.mktemp("demo")
    env = deployment(root)
    days = days_with_a_complete_quarter()  # every report, the quarterly ones too, materialised
    start = (YESTERDAY - timedelta(days=days - 1)).isoformat()
    args = ["--users", "200", "--days", str(days), "--start", start, "--seed", "11"]
    nexus(env, "generate", *args, "--out", str(root / "files"))
    shutil.copytree(root / "files", env["NEXUS_LANDING_DIR"], dirs_exist_ok=True)
    nexus(env, "materialize")
    return env


def workspace(instance: dg.DagsterInstance) -> WorkspaceProcessContext:
    """The code location loaded in this process, over the demo's instance."""
    origin = InProcessCodeLocationOrigin(
        LoadableTargetOrigin(
            executable_path=sys.executable,
            module_name="nexus_pipelines.definitions",
            attribute="defs",
            working_directory=str(PROJECT_DIR),
        ),
        location_name="nexus_pipelines",
    )
    return WorkspaceProcessContext(instance, InProcessWorkspaceLoadTarget(origin))


def asset_nodes(context: WorkspaceProcessContext) -> dict[str, dict[str, Any]]:
    result = execute_dagster_graphql(context.create_request_context(), ASSETS)
    assert not result.errors, result.errors
    return {"/".join(node["assetKey"]["path"]): node for node in result.data["assetNodes"]}


@pytest.fixture(scope="module")
def nodes(demo: dict[str, str]) -> Iterator[dict[str, dict[str, Any]]]:
    with instance_of(demo) as instance, workspace(instance) as context:
        yield asset_nodes(context)


def table_and_schema(entries: list[dict[str, Any]]) -> tuple[str | None, dict[str, str] | None]:
    by_label = {entry["label"]: entry for entry in entries}
    table = by_label.get("dagster/table_name", {}).get("text")
    schema = by_label.get("dagster/column_schema")
    columns = (
        {column["name"]: column["description"] for column in schema["schema"]["columns"]}
        if schema
        else None
    )
    return table, columns


def shown_schemas(node: dict[str, Any]) -> list[tuple[str, dict[str, str]]]:
    """(table, {column: description}) as the asset's page can show them: its latest
    materialisation's and its definition's."""
    shown = []
    latest = node["assetMaterializations"]
    for entries in [latest[0]["metadataEntries"] if latest else [], node["metadataEntries"]]:
        table, columns = table_and_schema(entries)
        if table and columns is not None:
            shown.append((table, columns))
    return shown


def warehouse_columns(env: dict[str, str]) -> dict[str, list[str]]:
    rows = query(
        env,
        "select table_schema || '.' || table_name, list(column_name order by ordinal_position) "
        "from information_schema.columns where table_schema not in ('ingest', 'main') "
        "and table_catalog = current_database() group by all",
    )
    return dict(rows)


def test_every_table_column_is_described_where_the_ui_shows_it(
    demo: dict[str, str], nodes: dict[str, dict[str, Any]]
) -> None:
    tables = warehouse_columns(demo)
    assert len([t for t in tables if not t.startswith("raw.")]) >= 40
    shown: dict[str, list[tuple[str, dict[str, str]]]] = {}
    for key, node in nodes.items():
        assert node["assetMaterializations"], f"{key} was not materialised by the demo"
        schemas = shown_schemas(node)
        assert schemas, f"{key} shows no column schema"
        for table, columns in schemas:
            shown.setdefault(table, []).append((key, columns))
    assert set(tables) <= set(shown), f"tables no asset describes: {set(tables) - set(shown)}"
    for table, schemas in shown.items():
        for key, columns in schemas:
            assert list(columns) == tables[table], f"{key}: the schema of {table} is not DuckDB's"
            undescribed = [name for name, text in columns.items() if not (text or "").strip()]
            assert undescribed == [], f"{key}: {table} columns without a description"


def test_descriptions_quote_the_settings_they_name(nodes: dict[str, dict[str, Any]]) -> None:
    [(_, columns)] = shown_schemas(nodes["reliability/error_budget"])[:1]
    assert "(setting reliability_slo, 99.9%)" in columns["slo"]
    assert "30 days" in columns["probes"]


def declaring(tmp_path: Path, entry: str) -> Domain:
    folder = tmp_path / "assets" / "domains" / "delivery"
    folder.mkdir(parents=True)
    (folder / "assets.yaml").write_text("sql_assets:\n" + entry, encoding="utf-8")
    return Domain(name="delivery", declarations_dir=folder, sql_dir=tmp_path / "sql" / "delivery")


SPRINTS = """\
  - name: sprints
    owner: Sprint Prioritizer
    cadence: biweekly
    partitions: none
    key: [sprint_start]
    non_negative: [days]
    description: One row per sprint.
"""


def test_a_declaration_naming_an_undescribed_column_is_refused_at_load(tmp_path: Path) -> None:
    domain = declaring(tmp_path, SPRINTS + "    columns: {sprint_start: First day.}\n")
    with pytest.raises(DeclarationError) as refused:
        domain.validated("assets", SqlAssetSpec)
    message = str(refused.value)
    assert str(domain.declarations_path("assets")) in message
    assert "'sprints'" in message and "no description of days (in non_negative)" in message


def test_a_blank_description_is_refused_at_load(tmp_path: Path) -> None:
    domain = declaring(tmp_path, SPRINTS + "    columns: {sprint_start: First day., days: ' '}\n")
    with pytest.raises(DeclarationError, match=r"'sprints': columns\.days: .*description is empty"):
        domain.validated("assets", SqlAssetSpec)


def test_a_deadline_is_the_cadence_cron_shifted_by_its_grace() -> None:
    assert deadline_cron("0 6 * * *", timedelta(hours=2)) == ("0 8 * * *", timedelta(hours=8))
    assert deadline_cron("0 8 1 * *", timedelta(days=1)) == ("0 8 2 * *", timedelta(hours=32))
    assert deadline_cron("30 23 * * 0", timedelta(hours=2)) == (
        "30 1 * * 1",
        timedelta(hours=25, minutes=30),
    )
    with pytest.raises(ValueError, match="fixed minutes, hours and days"):
        deadline_cron("*/15 * * * *", timedelta(hours=1))


def test_every_asset_has_the_freshness_policy_of_its_cadence(
    nodes: dict[str, dict[str, Any]],
) -> None:
    policies = {key: node["internalFreshnessPolicy"] for key, node in nodes.items()}
    assert [key for key, policy in policies.items() if policy is None] == []

    def cron(deadline: str, hours: float) -> dict[str, Any]:
        return {
            "__typename": "CronFreshnessPolicy",
            "deadlineCron": deadline,
            "lowerBoundDeltaSeconds": int(hours * HOUR),
            "timezone": "UTC",
        }

    assert policies["growth/daily_active_users"] == cron("0 8 * * *", 8)
    assert policies["reporting/scorecard"] == cron("0 8 * * *", 8)
    assert policies["revenue/mrr_movements"] == cron("0 8 2 * *", 32)
    assert policies["revenue/forecasts"] == cron("0 8 2 * *", 32)
    assert policies["growth/churn_risk"] == cron("0 9 * * 1", 9)
    assert policies["reporting/quarterly_review"] == cron("0 9 2 1,4,7,10 *", 33)
    assert policies["reporting/biweekly_review"] == {
        "__typename": "TimeWindowFreshnessPolicy",
        "failWindowSeconds": (14 * 24 + 2) * HOUR,
    }
    assert policies["raw/events"] == cron("0 6 * * *", 6)


def freshness_at(instance: dg.DagsterInstance, now: datetime) -> dict[str, str]:
    """Each asset's freshness as the UI shows it, after the daemon evaluated it at `now`."""
    with freeze_time(now), workspace(instance) as context:
        list(FreshnessDaemon().run_iteration(context))
        return {
            key: node["freshnessStatusInfo"]["freshnessStatus"]
            for key, node in asset_nodes(context).items()
        }


def test_a_daily_asset_turns_stale_at_eight_the_next_morning(demo: dict[str, str]) -> None:
    with instance_of(demo) as instance:
        latest = instance.get_latest_materialization_event(dg.AssetKey(["raw", "events"]))
        assert latest is not None
        made_on = datetime.fromtimestamp(latest.timestamp, UTC).date()
        next_morning = datetime.combine(made_on + timedelta(days=1), time(8), UTC)
        before = freshness_at(instance, next_morning - timedelta(hours=2, minutes=1))
        after = freshness_at(instance, next_morning + timedelta(minutes=1))
        later = freshness_at(instance, next_morning + timedelta(days=100))
    # 05:59 the next day, before any deadline after the run: every asset is fresh
    assert set(before.values()) == {"HEALTHY"}, before
    # 08:00 the next day: the daily assets and the raw tables (due at 06:00) are stale
    assert after["growth/daily_active_users"] == "DEGRADED"
    assert after["reporting/scorecard"] == "DEGRADED"
    assert after["raw/events"] == "DEGRADED"
    # nothing has run for a hundred days: every asset is stale, whatever its cadence
    assert set(later.values()) == {"DEGRADED"}, later


def latest_metadata(env: dict[str, str], key: str) -> dict[str, Any]:
    with instance_of(env) as instance:
        event = instance.get_latest_materialization_event(dg.AssetKey(key.split("/")))
    assert event is not None and event.asset_materialization is not None
    return {name: entry.value for name, entry in event.asset_materialization.metadata.items()}


def test_headlines_mean_what_their_labels_say(demo: dict[str, str]) -> None:
    """A level is the latest value of the row the label names; a flow says its span."""
    uptime = latest_metadata(demo, "reliability/uptime_daily")
    [(overall,)] = query(
        demo,
        "select uptime_pct from reliability.uptime_daily where service_id = 'overall' "
        "and uptime_date = (select max(uptime_date) from reliability.uptime_daily)",
    )
    assert uptime["latest_day_overall_uptime_pct_last_day"] == pytest.approx(overall)
    mau = latest_metadata(demo, "growth/monthly_active_users")
    [(complete_mau,)] = query(
        demo, "select arg_max(mau, month) from growth.monthly_active_users where is_complete"
    )
    assert mau["mau_last_complete_month"] == complete_mau
    mrr = latest_metadata(demo, "revenue/mrr_movements")
    [(month_end,)] = query(
        demo,
        "select sum(mrr) from revenue.mrr_movements "
        "where month = (select max(month) from revenue.mrr_movements)",
    )
    assert mrr["mrr_month_end"] == pytest.approx(float(month_end))
    campaigns = latest_metadata(demo, "growth/reengagement_campaigns")
    [(reengaged,)] = query(
        demo, "select sum(targeted_reengaged) from growth.reengagement_campaigns"
    )
    assert campaigns["users_reengaged_all_campaigns"] == reengaged
