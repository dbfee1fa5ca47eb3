"""From raw files to what the analyst sees: a small generated company through Dagster."""

import json
from datetime import UTC, datetime, timedelta

import dagster as dg
import pytest

from nexus_pipelines.cli import main
from nexus_pipelines.contract import load_contract
from nexus_pipelines.definitions import defs
from nexus_pipelines.generator import generate_company
from nexus_pipelines.runner import materialize_everything
from nexus_pipelines.settings import Settings
from nexus_pipelines.warehouse import Warehouse

DAYS = 60


START = datetime.now(UTC).date() - timedelta(days=DAYS)


@pytest.fixture
def small_company(project_env: Settings) -> Settings:
    generate_company(project_env.landing_dir, users=400, days=DAYS, start=START, seed=11)
    return project_env


def snapshot(warehouse: Warehouse) -> dict[str, list[tuple]]:
    with warehouse.connect(read_only=True) as connection:
        return {
            table: connection.execute(f"select * from {table} order by all").fetchall()
            for table in (
                "raw.users",
                "raw.events",
                "growth.daily_active_users",
                "growth.signups_by_channel_daily",
            )
        }


def test_generated_company_materialises_end_to_end_and_reruns_identically(
    small_company: Settings, warehouse: Warehouse, capsys: pytest.CaptureFixture[str]
) -> None:
    with dg.instance_for_test() as instance:
        materialize_everything(start=START, instance=instance)
        every_key = {spec.key for assets in defs.assets for spec in assets.specs}
        materialized = {
            key for key in every_key if instance.get_latest_materialization_event(key) is not None
        }
        assert materialized == every_key

        first = snapshot(warehouse)
        # the same files again, the same range again
        materialize_everything(start=START, instance=instance)
        assert snapshot(warehouse) == first

    with warehouse.connect(read_only=True) as connection:
        for table in load_contract().values():
            count = connection.execute(f"select count(*) from {table.qualified_name}").fetchone()
            assert count[0] > 0, table.name
        log = connection.execute(
            "select status, rows_in, loaded, quarantined, duplicates from ingest.ingestion_log"
        ).fetchall()
        loaded = [row for row in log if row[0] == "loaded"]
        assert len(loaded) >= len(load_contract())
        assert all(rows_in == ok + bad + dup for _, rows_in, ok, bad, dup in loaded)
        assert sum(row[3] for row in loaded) == 0, "generated data must pass validation"
        # every day of the materialised range has a DAU row, and active users on nearly all
        days, active_days = connection.execute(
            "select count(*), count(*) filter (where active_users > 0) "
            "from growth.daily_active_users"
        ).fetchone()
        assert days == DAYS
        assert active_days >= DAYS - 2
        assert (
            connection.execute("select count(*) from reporting.cadence_reviews").fetchone()[0]
            == 5  # one per scheduled cadence, replaced on the re-run
        )

    capsys.readouterr()
    assert main(["scorecard", "--json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert len(records) == 13
