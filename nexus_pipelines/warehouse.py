"""The one way into the DuckDB warehouse, for Dagster assets and the CLI alike."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
from dagster._utils.backoff import backoff
from dagster_duckdb import DuckDBResource
from pydantic import Field

from nexus_pipelines.contract import load_contract
from nexus_pipelines.run_health import record_run_process
from nexus_pipelines.settings import load_settings

# One schema per domain of derived tables, besides the raw data and the ingestion bookkeeping.
SCHEMAS = ("raw", "ingest", "growth", "revenue", "reliability", "support", "reporting")


class Warehouse(DuckDBResource):
    """DuckDBResource that also pins the session to UTC, creates the schemas and always closes.

    Raw timestamps are TIMESTAMPTZ instants; the session timezone is UTC so that a timestamp
    written without an offset means UTC, and calendar grains are cut explicitly in SQL. Left
    empty, the path and limits are read from the settings when a connection opens, so one
    definition serves every environment.
    """

    database: str = Field(
        default="", description="DuckDB file; empty means NEXUS_DUCKDB_PATH at connect time."
    )
    connection_config: dict[str, Any] = Field(
        default_factory=dict,
        description="DuckDB settings over the defaults from NEXUS_DUCKDB_MEMORY_LIMIT, "
        "NEXUS_DUCKDB_THREADS and a temp directory beside the database file.",
    )

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        # A run's process is recorded so that, if it dies holding the warehouse, it can be
        # told apart from a live one (run_health.py). With a process per step the run's own
        # process never opens the warehouse, so only in-process runs are recorded here.
        if context.instance and context.run and load_settings().executor == "in_process":
            record_run_process(context.instance, context.run)

    def resolved_path(self) -> Path:
        return Path(self.database) if self.database else load_settings().duckdb_path

    def _config(self) -> dict[str, Any]:
        settings = load_settings()
        return {
            "memory_limit": settings.duckdb_memory_limit,
            "threads": settings.duckdb_threads,
            # large runs spill here instead of failing at the memory limit
            "temp_directory": str(self.resolved_path().parent / ".duckdb_tmp"),
        } | self.connection_config

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """Open with retries (another process may hold the writer's lock), close on any exit."""
        path = self.resolved_path()
        if not read_only:
            path.parent.mkdir(parents=True, exist_ok=True)
        connection = backoff(
            fn=duckdb.connect,
            retry_on=(RuntimeError, duckdb.IOException),
            kwargs={"database": str(path), "read_only": read_only, "config": self._config()},
            max_retries=10,
        )
        try:
            connection.execute("set TimeZone = 'UTC'")
            if not read_only:
                for schema in SCHEMAS:
                    connection.execute(f"create schema if not exists {schema}")
            yield connection
        finally:
            connection.close()


def table_exists(connection: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    found = connection.execute(
        "select count(*) from information_schema.tables "
        "where table_schema = $1 and table_name = $2",
        [schema, table],
    ).fetchone()
    return bool(found and found[0])


def data_range(connection: duckdb.DuckDBPyConnection) -> tuple[date, date] | None:
    """First and last day (reporting timezone) of what the raw tables hold: the range
    `nexus materialize` covers by default. Due dates and scheduled ends (future_ok) do not count."""
    bounds = []
    for table in load_contract().values():
        if not table_exists(connection, "raw", table.name):
            continue
        for column in table.columns:
            if column.type in ("DATE", "TIMESTAMPTZ") and not column.future_ok:
                day = (
                    f"{column.name}"
                    if column.type == "DATE"
                    else f"cast(timezone($tz, {column.name}) as date)"
                )
                bounds.append(
                    f"select min({day}) as first, max({day}) as last from {table.qualified_name}"
                )
    if not bounds:
        return None
    first, last = connection.execute(
        f"select min(first), max(last) from ({' union all '.join(bounds)})",
        {"tz": load_settings().reporting_timezone},
    ).fetchone()
    return (first, last) if first is not None else None
