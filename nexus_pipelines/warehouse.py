"""The one way into the DuckDB warehouse, for Dagster assets and the CLI alike."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
from dagster._utils.backoff import backoff
from dagster_duckdb import DuckDBResource
from pydantic import Field

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
