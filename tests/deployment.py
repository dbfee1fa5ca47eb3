"""Helpers for tests that drive the real `nexus` command: a deployment as make sets one up."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from unittest import mock

import dagster as dg
import duckdb

from nexus_pipelines.settings import PROJECT_DIR

NEXUS = str(Path(sys.executable).parent / "nexus")
DAYS = 60  # the generator's minimum: two cohort months and a complete month
YESTERDAY = datetime.now(UTC).date() - timedelta(days=1)


def days_with_a_complete_quarter(today: date | None = None) -> int:
    """The days of a demo ending yesterday that reach back to the first day of the quarter before
    today's, so that the last complete quarter is whole and `nexus materialize` renders its
    quarterly reports (a quarter with no day of data is not complete); never fewer than DAYS."""
    today = today or YESTERDAY + timedelta(days=1)
    first_month = (today.month - 1) // 3 * 3 + 1  # of today's quarter
    year, month = (today.year, first_month - 3) if first_month > 3 else (today.year - 1, 10)
    return max(DAYS, (today - date(year, month, 1)).days)


RUN_LINE = re.compile(
    r"^Run (?P<run_id>[0-9a-f-]{36}) \((?P<partitioning>\w+)(?P<reports> reports)?: "
    r"(?P<window>[^)]*)\) (?P<status>\w+) "
    r"in [\d.]+ s: (?P<materialized>\d+) assets materialised, (?P<skipped>\d+) skipped, "
    r"(?P<failed>\d+) failed$",
    re.MULTILINE,
)


def deployment(root: Path, **env: str) -> dict[str, str]:
    """A fresh deployment as make sets one up: its own warehouse, landing folder and instance."""
    home = root / "dagster_home"
    home.mkdir(parents=True)
    shutil.copy(PROJECT_DIR / "dagster-instance.yaml", home / "dagster.yaml")
    (root / "landing").mkdir()
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("NEXUS_", "DAGSTER_"))},
        "DAGSTER_HOME": str(home),
        "NEXUS_DUCKDB_PATH": str(root / "warehouse.duckdb"),
        "NEXUS_LANDING_DIR": str(root / "landing"),
        "NEXUS_DUCKDB_MEMORY_LIMIT": "1GB",
        "NEXUS_DUCKDB_THREADS": "2",
        **env,
    }


def nexus(env: dict[str, str], *args: str, expect: int = 0) -> str:
    done = subprocess.run(
        [NEXUS, *args], env=env, capture_output=True, text=True, timeout=900, check=False
    )
    assert done.returncode == expect, f"nexus {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def query(env: dict[str, str], sql: str) -> list[tuple]:
    with duckdb.connect(env["NEXUS_DUCKDB_PATH"], read_only=True) as connection:
        return connection.execute(sql).fetchall()


def instance_of(env: dict[str, str]) -> dg.DagsterInstance:
    return open_instance(env["DAGSTER_HOME"])


def open_instance(home: str | Path) -> dg.DagsterInstance:
    """The instance in `home`, opened as Dagster's own commands open it: with DAGSTER_HOME naming
    it, which dagster-instance.yaml's storage reads for its folder."""
    with mock.patch.dict(os.environ, {"DAGSTER_HOME": str(home)}):
        return dg.DagsterInstance.from_config(str(home))
