"""The one way into the DuckDB warehouse, and the one way every table is written.

Every write (SQL assets, Python assets, reports) goes through `replace_where`: the rows they
replace deleted, the new rows inserted, the table's rules (unique, present key; non-negative and
0-100 columns) checked on the result, all in one transaction. A broken rule rolls it back, so the
previous rows stay visible and the error names the table, each rule and how many rows break it.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import pandas as pd
from dagster_duckdb import DuckDBResource
from pydantic import Field, PrivateAttr

from nexus_pipelines.contract import load_contract
from nexus_pipelines.playbook import cadences, owner_for
from nexus_pipelines.project import project
from nexus_pipelines.run_health import record_run_process
from nexus_pipelines.settings import load_settings

# The schemas besides the domains' own: the raw data and the ingestion bookkeeping.
BASE_SCHEMAS = ("raw", "ingest")
_CONNECT_ATTEMPTS = 10  # about 20 s of growing pauses
# A step that still finds the writer's lock held after those pauses (an analyst's notebook, a
# backup, a process outside the `duckdb` pool) is tried again later instead of failing its run.
LOCKED_STEP_RETRIES = 3
LOCKED_STEP_WAIT_SECONDS = 30


class Warehouse(DuckDBResource):
    """The project's DuckDB connection: pinned to UTC, the schemas created, always closed.

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
    schemas: list[str] = Field(
        default_factory=list,
        description="The domains' schemas, created on every writing connection; empty means "
        "the domains this project holds.",
    )

    _in_dagster: bool = PrivateAttr(default=False)
    _run_as_of: date | None = PrivateAttr(default=None)
    _held: duckdb.DuckDBPyConnection | None = PrivateAttr(default=None)
    _alone: Callable[[], bool] | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        self._in_dagster = True
        # A run's process is recorded so that, if it dies holding the warehouse, it can be
        # told apart from a live one (run_health.py). With a process per step the run's own
        # process never opens the warehouse, so only in-process runs are recorded here.
        if context.instance and context.run and load_settings().executor == "in_process":
            record_run_process(context.instance, context.run)
            self._alone = _alone_check(context.instance, context.run.run_id)

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        self.release()

    def release(self) -> None:
        """Close the file this run keeps open between steps (get_connection); a step that goes
        on to start runs in this process calls it, as their connections cannot share it."""
        if self._held is not None:
            self._held.close()
            self._held = None

    def run_as_of(self, connection: duckdb.DuckDBPyConnection) -> date:
        """The day reports are as of, found once per run (Dagster gives each run its own copy of
        the resource): every report of a run states the same day, and each does not rescan the
        raw tables for it (0.1 s a report at demo scale)."""
        if not self._in_dagster:
            return default_as_of(connection)
        if self._run_as_of is None:
            self._run_as_of = default_as_of(connection)
        return self._run_as_of

    def resolved_path(self) -> Path:
        return Path(self.database) if self.database else load_settings().duckdb_path

    def duckdb_config(self) -> dict[str, Any]:
        """The settings each connection opens with; the benchmark's dbt peer uses them too."""
        settings = load_settings()
        return {
            "memory_limit": settings.duckdb_memory_limit,
            "threads": settings.duckdb_threads,
            # large runs spill here instead of failing at the memory limit
            "temp_directory": str(self.resolved_path().parent / ".duckdb_tmp"),
        } | self.connection_config

    def _open(self, read_only: bool) -> duckdb.DuckDBPyConnection:
        """Another process may hold the writer's lock for a moment: retry with growing pauses, then
        (inside a step) ask Dagster to retry the step later."""
        path = self.resolved_path()
        for attempt in range(_CONNECT_ATTEMPTS):
            try:
                return duckdb.connect(str(path), read_only=read_only, config=self.duckdb_config())
            except (RuntimeError, duckdb.IOException) as error:
                if attempt < _CONNECT_ATTEMPTS - 1:
                    time.sleep(min(0.1 * 2**attempt, 5.0))
                    continue
                if self._in_dagster and "lock" in str(error).lower():
                    raise dg.RetryRequested(
                        max_retries=LOCKED_STEP_RETRIES, seconds_to_wait=LOCKED_STEP_WAIT_SECONDS
                    ) from error
                raise
        raise AssertionError("unreachable")

    @contextmanager
    def get_connection(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """Open (with retries), prepare, and close on any exit.

        An in-process run with no other run in flight keeps its database open from step to
        step and hands each step a cursor of it: opening the file costs some 20 ms and closing
        it a checkpoint, per step (2 s of a demo rebuild's 20, docs/benchmarks.md). Once another
        run is in flight, it closes the file after each use, so that run's steps, which take the
        `duckdb` pool slot between ours, can open it."""
        if self._alone is None or (read_only and self._held is None):
            connection = self._prepared(read_only)
            try:
                yield connection
            finally:
                connection.close()
            return
        if self._held is None:
            self._held = self._prepared(read_only=False)
        connection = self._held.cursor()
        try:
            connection.execute("set TimeZone = 'UTC'")
            yield connection
        finally:
            connection.close()
            if not self._alone():
                self.release()

    def _prepared(self, read_only: bool) -> duckdb.DuckDBPyConnection:
        if not read_only:
            self.resolved_path().parent.mkdir(parents=True, exist_ok=True)
        connection = self._open(read_only)
        try:
            connection.execute("set TimeZone = 'UTC'")
            if not read_only:
                for schema in (*BASE_SCHEMAS, *(self.schemas or project().schemas)):
                    connection.execute(f"create schema if not exists {schema}")
        except BaseException:
            connection.close()
            raise
        return connection


# A run has to be launched and its process started (seconds) before any step of it can ask for
# the warehouse: whether a run is alone is read again at most this often.
_ALONE_RECHECK_SECONDS = 1.0
_IN_FLIGHT = dg.RunsFilter(
    statuses=[
        dg.DagsterRunStatus.QUEUED,
        dg.DagsterRunStatus.NOT_STARTED,
        dg.DagsterRunStatus.STARTING,
        dg.DagsterRunStatus.STARTED,
        dg.DagsterRunStatus.CANCELING,
    ]
)


def _alone_check(instance: dg.DagsterInstance, run_id: str) -> Callable[[], bool]:
    """Whether no run but `run_id` is queued or running, read from the instance (cached for
    `_ALONE_RECHECK_SECONDS`)."""
    checked_at, alone = -math.inf, False

    def alone_now() -> bool:
        nonlocal checked_at, alone
        if time.monotonic() - checked_at >= _ALONE_RECHECK_SECONDS:
            others = [run for run in instance.get_run_ids(_IN_FLIGHT, limit=2) if run != run_id]
            alone, checked_at = not others, time.monotonic()
        return alone

    return alone_now


@contextmanager
def transaction(connection: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Commit what the block wrote, or roll all of it back on any exception."""
    connection.execute("begin transaction")
    try:
        yield
    except BaseException:
        connection.execute("rollback")
        raise
    connection.execute("commit")


class RuleViolation(ValueError):
    """A write that breaks its table's rules; raised before commit, so nothing of it is kept."""


@dataclass(frozen=True)
class TableRules:
    """What must hold of the written rows before they are committed."""

    key: tuple[str, ...] = ()
    non_negative: tuple[str, ...] = ()
    percent: tuple[str, ...] = ()

    def violations(
        self, connection: duckdb.DuckDBPyConnection, table: str, scope: str, params: Mapping
    ) -> dict[str, int]:
        """Rows breaking each rule within `scope`, by rule (all zero when the write is sound)."""
        counts: dict[str, int] = {}
        if self.key:
            keys = ", ".join(self.key)
            counts["duplicate_keys"] = count_value(
                connection,
                f"select count(*) from (select {keys} from {table} where {scope} "
                "group by all having count(*) > 1)",
                params,
            )
            any_null = " or ".join(f"{part} is null" for part in self.key)
            counts["null_keys"] = count_value(
                connection, f"select count(*) from {table} where {scope} and ({any_null})", params
            )
        if self.non_negative:
            negative = " or ".join(f"{name} < 0" for name in self.non_negative)
            counts["negative_rows"] = count_value(
                connection, f"select count(*) from {table} where {scope} and ({negative})", params
            )
        if self.percent:
            outside = " or ".join(f"{c} < 0 or {c} > 100" for c in self.percent)
            counts["rows_outside_0_100"] = count_value(
                connection, f"select count(*) from {table} where {scope} and ({outside})", params
            )
        return counts


def count_value(connection: duckdb.DuckDBPyConnection, sql: str, params: Mapping) -> int:
    # fetchall, not fetchone: a half-read result blocks unregistering a frame on this connection
    rows = connection.execute(sql, dict(params)).fetchall()
    return int(rows[0][0]) if rows and rows[0][0] is not None else 0


def replace_where(
    connection: duckdb.DuckDBPyConnection,
    table: str,
    rows: str | pd.DataFrame | Sequence[Sequence[Any]],
    *,
    where: str | None = None,
    params: Mapping[str, Any] | None = None,
    rows_params: Mapping[str, Any] | None = None,
    rules: TableRules = TableRules(),
    columns: Mapping[str, str] | None = None,
    origin: str | None = None,
) -> int:
    """Replace the rows matching `where` (every row when None) with `rows`, atomically.

    `rows` is a query (with `rows_params`), a frame, or tuples in the order of `columns`; every
    new row must itself match `where`
    (a window's query returning a row outside the window is refused). `columns` ({name: type})
    creates the table when it does not exist yet; without it the table takes the rows' shape.
    Returns the rows written. `origin` names the query in errors; `where` may read the new rows
    as `new_rows` when they are tuples."""
    params = dict(params or {})
    source = origin or table
    ddl = ", ".join(f"{column} {kind}" for column, kind in (columns or {}).items())
    # A query or a frame is inserted straight from its source (staging a copy first cost a
    # full rebuild about 1%); the transaction keeps the new rows unseen until the checks pass.
    source_params = dict(rows_params or {}) if isinstance(rows, str) else {}
    with transaction(connection):
        if isinstance(rows, str):
            new_rows = f"({rows})"
        elif isinstance(rows, pd.DataFrame):
            connection.register("new_rows", rows)
            new_rows = "new_rows"
        else:
            if not columns:
                raise ValueError(f"{source}: rows given as tuples need their columns")
            connection.execute(f"create or replace temp table new_rows ({ddl})")
            if rows:
                marks = ", ".join("?" for _ in columns)
                connection.executemany(f"insert into new_rows values ({marks})", list(rows))
            new_rows = "new_rows"
        try:
            written = _replace(connection, table, new_rows, source_params, ddl, where, params)
            _refuse_broken(connection, table, source, where, params, rules, written)
        finally:
            if isinstance(rows, pd.DataFrame):
                connection.unregister("new_rows")
            elif not isinstance(rows, str):
                connection.execute("drop table new_rows")
    return written


def _refuse_broken(
    connection: duckdb.DuckDBPyConnection,
    table: str,
    source: str,
    where: str | None,
    params: Mapping[str, Any],
    rules: TableRules,
    written: int,
) -> None:
    """Raise (so the transaction rolls back) when a new row is outside `where` or breaks a rule."""
    scope = where or "true"
    if where is not None:
        outside = written - count_value(
            connection, f"select count(*) from {table} where {scope}", params
        )
        if outside:
            raise ValueError(f"{source} returned {outside} rows outside {where} ({dict(params)})")
    broken = {
        rule: count
        for rule, count in rules.violations(connection, table, scope, params).items()
        if count
    }
    if broken:
        raise RuleViolation(
            f"{source}: the write to {table} breaks its rules ({broken}; key "
            f"{', '.join(rules.key)}); nothing was written, the previous rows stay"
        )


def _replace(
    connection: duckdb.DuckDBPyConnection,
    table: str,
    new_rows: str,
    source_params: Mapping[str, Any],
    ddl: str,
    where: str | None,
    params: Mapping[str, Any],
) -> int:
    """Delete the rows matching `where` (all when None), insert `new_rows`; returns how many
    were inserted. Without a `where` or column types (`ddl`) the table takes the rows' shape."""
    everything = f"select count(*) from {table}"
    if where is None and not ddl:
        connection.execute(f"create or replace table {table} as from {new_rows}", source_params)
        return count_value(connection, everything, {})
    schema, name = table.split(".")
    if not table_exists(connection, schema, name):
        if ddl:
            connection.execute(f"create table {table} ({ddl})")
        else:
            connection.execute(f"create table {table} as from {new_rows} limit 0", source_params)
    connection.execute(f"delete from {table} where {where or 'true'}", dict(params))
    kept = count_value(connection, everything, {})
    connection.execute(f"insert into {table} by name select * from {new_rows}", source_params)
    return count_value(connection, everything, {}) - kept


# How long after its schedule's tick (assets/playbook/cadences.yaml, reporting timezone) a
# cadence's assets are due. The daily and weekly runs take minutes, so two hours flags a run that
# failed or never started the same morning; month- and quarter-end data (invoices, costs, cash
# statements) often lands during the 1st, so monthly and quarterly assets are due a day after
# their tick: by the 2nd.
DUE_AFTER_TICK = {
    "daily": timedelta(hours=2),
    "weekly": timedelta(hours=2),
    "biweekly": timedelta(hours=2),
    "monthly": timedelta(days=1),
    "quarterly": timedelta(days=1),
}
# The continuous cadence's tables (reporting.alerts) have no schedule: the sensor that feeds one
# rewrites it when its source changes and at least every 12 h, so a day without a write is stale.
SENSOR_FED_FAIL_WINDOW = timedelta(days=1)
# The landing is expected to hold each raw table's export of the day before by the daily tick,
# when the daily cadence reads it.
LANDING_DUE_BY = "daily"


def deadline_cron(cron: str, after: timedelta) -> tuple[str, timedelta]:
    """The cron ticking `after` later than `cron`, and how long after the midnight of its tick's
    day it falls. Needs one time of day (`0 6 * * *`, not `*/15 * * * *`); a deadline past
    midnight moves the day of the month (`1` -> `2`) or of the week (`1` -> `2`)."""
    minute, hour, day, month, weekday = cron.split()
    numbers = [minute, hour, *(day.split(",") if day != "*" else [])]
    numbers += weekday.split(",") if weekday != "*" else []
    if not all(part.isdigit() for part in numbers):
        raise ValueError(f"cron {cron!r}: a deadline needs fixed minutes, hours and days")
    since_midnight = timedelta(hours=int(hour), minutes=int(minute)) + after
    days, clock = since_midnight.days, since_midnight.seconds // 60
    if days and day != "*":
        day = ",".join(str(int(part) + days) for part in day.split(","))
    elif days and weekday != "*":
        weekday = ",".join(str((int(part) + days) % 7) for part in weekday.split(","))
    return f"{clock % 60} {clock // 60} {day} {month} {weekday}", since_midnight


def cadence_freshness(cadence_id: str) -> dg.FreshnessPolicy:
    """Due `DUE_AFTER_TICK` after the cadence's schedule ticks, materialised since the midnight
    that closed the period it reports (the UI shows the asset as failing its freshness until
    then). Cron cannot say "every other week", so the bi-weekly cadence is due two weeks and the
    grace after its last materialisation; the continuous cadence, a day after it."""
    [cadence] = [item for item in cadences() if item.id == cadence_id]
    if not cadence.cron:  # continuous: its sensors refresh it, and confirm it at least daily
        return dg.FreshnessPolicy.time_window(fail_window=SENSOR_FED_FAIL_WINDOW)
    due = DUE_AFTER_TICK[cadence.id]
    if cadence.every_other_week:
        return dg.FreshnessPolicy.time_window(fail_window=timedelta(weeks=2) + due)
    deadline, since_midnight = deadline_cron(cadence.cron, due)
    return _cron_policy(deadline, since_midnight, load_settings().reporting_timezone)


def landing_freshness() -> dg.FreshnessPolicy:
    """A raw table is due by the daily schedule's tick, loaded since the midnight before it: the
    day before's export must have landed when the daily cadence reads it."""
    [daily] = [item for item in cadences() if item.id == LANDING_DUE_BY]
    deadline, since_midnight = deadline_cron(daily.cron or "", timedelta(0))
    return _cron_policy(
        deadline, since_midnight or timedelta(days=1), load_settings().reporting_timezone
    )


@lru_cache(maxsize=64)
def _cron_policy(deadline: str, since: timedelta, timezone: str) -> dg.FreshnessPolicy:
    """One policy per deadline: Dagster validates each by walking a year of cron ticks (8 ms),
    and the code location gives one to each of its 110+ assets."""
    return dg.FreshnessPolicy.cron(
        deadline_cron=deadline, lower_bound_delta=since, timezone=timezone
    )


def warehouse_asset(
    key: Sequence[str] | dg.AssetKey,
    *,
    description: str,
    owner: str | Sequence[str],
    cadence: str,
    kinds: Sequence[str] = (),
    partitions_def: dg.PartitionsDefinition | None = None,
    subsettable: bool = False,
    **options: Any,
) -> Callable[[Callable[..., Any]], dg.AssetsDefinition]:
    """The decorator every asset that writes the warehouse shares: its group and domain tag are
    its key's first part, its owners playbook roles, its cadence a tag the schedules select by
    and the deadline of its freshness policy; it runs in the `duckdb` pool (one writer) and
    backfills a range in one run. `subsettable`: its function may leave a declared check
    unevaluated (Dagster records it skipped, not failed) and runs with only its checks selected;
    only a multi-asset allows that."""
    asset_key = key if isinstance(key, dg.AssetKey) else dg.AssetKey(list(key))
    domain = asset_key.path[0]
    roles = [owner] if isinstance(owner, str) else list(owner)
    attributes: dict[str, Any] = {
        "key": asset_key,
        "description": description,
        "group_name": domain,
        "owners": [owner_for(role) for role in roles],
        "tags": {"cadence": cadence, "domain": domain, **options.pop("tags", {})},
        "kinds": {"duckdb", *kinds},
        "partitions_def": partitions_def,
        "freshness_policy": cadence_freshness(cadence),
    }
    execution = {
        "backfill_policy": dg.BackfillPolicy.single_run() if partitions_def else None,
        "pool": "duckdb",
    }
    if subsettable:
        spec_fields = {name: options.pop(name) for name in ("deps", "metadata") if name in options}
        return dg.multi_asset(
            name=asset_key.to_python_identifier(),  # the step's name, as dg.asset names it
            specs=[dg.AssetSpec(**attributes, **spec_fields)],
            can_subset=True,
            **execution,
            **options,
        )
    return dg.asset(**attributes, **execution, **options)


@cache
def _sql_parser() -> duckdb.DuckDBPyConnection:
    """One in-memory connection for parsing: opening one costs tens of milliseconds, and the
    code location parses every report section and scorecard query when it loads."""
    return duckdb.connect()


def tables_read(sql: str, where: str) -> list[str]:
    """The `schema.table` names a query reads, from DuckDB's own parse of it (a CTE or a table
    function is not a table): what a report or the scorecard depends on, with no list to keep."""
    found = _sql_parser().execute("select json_serialize_sql($sql)", {"sql": sql}).fetchone()
    tree = json.loads(found[0]) if found else {}
    if tree.get("error"):
        raise ValueError(f"{where}: DuckDB cannot parse the query: {tree.get('error_message')}")
    tables: set[str] = set()
    pending: list[Any] = [tree]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            if node.get("type") == "BASE_TABLE" and node.get("schema_name"):
                tables.add(f"{node['schema_name']}.{node['table_name']}")
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)
    return sorted(tables)


def table_exists(connection: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(
        count_value(
            connection,
            "select count(*) from information_schema.tables "
            "where table_schema = $schema and table_name = $table",
            {"schema": schema, "table": table},
        )
    )


def data_range(connection: duckdb.DuckDBPyConnection) -> tuple[date, date] | None:
    """First and last day (reporting timezone) of what the raw tables hold: the range
    `nexus materialize` covers by default. Due dates and scheduled ends (future_ok) do not count."""
    bounds = []
    for table in load_contract().values():
        if not table_exists(connection, "raw", table.name):
            continue
        for column in table.columns:
            if column.type in ("DATE", "TIMESTAMPTZ") and not column.future_ok:
                name, source = column.name, table.qualified_name
                if column.type == "DATE":
                    bounds.append(f"select min({name}) as first, max({name}) as last from {source}")
                    continue
                # Only instants within a day of the first or last can fall on the first or last
                # local day (no offset moves back a day), so only those are converted: the same
                # answer as converting every row, about 8 times faster on the benchmark data.
                day = f"cast(timezone($tz, {name}) as date)"
                bounds.append(
                    f"select min({day}) as first, max({day}) as last from {source} "
                    f"where {name} <= (select min({name}) from {source}) + interval 1 day "
                    f"or {name} >= (select max({name}) from {source}) - interval 1 day"
                )
    if not bounds:
        return None
    first, last = connection.execute(
        f"select min(first), max(last) from ({' union all '.join(bounds)})",
        {"tz": load_settings().reporting_timezone},
    ).fetchone()
    return (first, last) if first is not None else None


def default_as_of(connection: duckdb.DuckDBPyConnection) -> date:
    """The last complete day in the reporting timezone, or the data's last day when the data
    ends earlier (a history exported years ago is scored as of its own end, not as no data)."""
    yesterday = (datetime.now(load_settings().tz) - timedelta(days=1)).date()
    found = data_range(connection)
    return min(yesterday, found[1]) if found else yesterday
