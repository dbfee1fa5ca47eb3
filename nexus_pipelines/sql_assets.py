"""Turns the declarations in assets/sql_assets/*.yaml and the queries in sql/ into Dagster assets.

A partitioned SQL asset is written one way: the query's rows for the window replace the window's
rows in one transaction, so a re-run, a backfill over a range and a partition-by-partition run
all leave the same table. A declared look-back widens the rewritten window to the days before it
that late data can still change. An unpartitioned asset replaces its whole table in one
transaction. What the generic asset cannot do (a domain's own checks, pictures) a declaration
asks for by name from the hooks its domain module provides.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import dagster as dg
import duckdb

from nexus_pipelines.contract import validate_identifier
from nexus_pipelines.metadata import table_metadata
from nexus_pipelines.partitions import partitions_for
from nexus_pipelines.playbook import CADENCE_IDS, owner_for
from nexus_pipelines.settings import (
    ASSETS_DIR,
    SQL_DIR,
    load_settings,
    load_yaml,
    metric_settings,
    query_parameters,
)
from nexus_pipelines.warehouse import Warehouse, table_exists

DECLARATIONS_DIR = ASSETS_DIR / "sql_assets"
KEY_CHECK, NON_NEGATIVE_CHECK, PERCENT_CHECK = (
    "key_unique_and_present",
    "non_negative",
    "rates_within_0_100",
)


@dataclass(frozen=True)
class Headline:
    column: str
    label: str
    aggregate: str  # "sum" over the written rows, or the "last" non-NULL value
    filter: tuple[tuple[str, Any], ...] = ()  # (column, value): which rows the headline reads


@dataclass(frozen=True)
class SqlAssetDeclaration:
    name: str
    domain: str
    description: str
    owner: str
    cadence: str
    partitions: str
    partition_column: str | None
    deps: tuple[str, ...]
    key: tuple[str, ...]
    non_negative: tuple[str, ...]
    headline: Headline | None
    columns: dict[str, str]
    sql: str
    percent_columns: tuple[str, ...] = ()
    lookback: tuple[str, ...] = ()  # settings whose days a run re-computes before its window
    hooks: tuple[tuple[str, tuple[tuple[str, Any], ...]], ...] = ()  # (hook name, options)
    kinds: tuple[str, ...] = ()

    @property
    def qualified_name(self) -> str:
        return f"{self.domain}.{self.name}"

    @property
    def asset_key(self) -> dg.AssetKey:
        return dg.AssetKey([self.domain, self.name])

    @property
    def query_path(self) -> str:
        return f"sql/{self.domain}/{self.name}.sql"

    @property
    def order_column(self) -> str:
        return self.partition_column or self.key[0]


@dataclass(frozen=True)
class WrittenRows:
    """What one run wrote: a SQL condition selecting those rows, its parameters, and the
    partition window the run was asked for (None when unpartitioned)."""

    scope: str
    params: dict[str, Any]
    window: dg.TimeWindow | None


@dataclass(frozen=True)
class CheckHook:
    """A check the generic asset lacks; its result is reported with the asset's own checks."""

    description: str
    evaluate: Callable[
        [duckdb.DuckDBPyConnection, SqlAssetDeclaration, WrittenRows, Mapping[str, Any]],
        dg.AssetCheckResult,
    ]
    blocking: bool = False


@dataclass(frozen=True)
class MetadataHook:
    """Extra metadata for the asset page (a picture, say), computed after the write."""

    evaluate: Callable[
        [duckdb.DuckDBPyConnection, SqlAssetDeclaration, WrittenRows, Mapping[str, Any]],
        dict[str, Any],
    ]


Hooks = Mapping[str, CheckHook | MetadataHook]


def _names(raw: Any, where: str) -> tuple[str, ...]:
    return tuple(validate_identifier(name, where) for name in raw or ())


def _declaration(raw: dict[str, Any], source: str) -> SqlAssetDeclaration:
    where = f"{source}: {raw.get('name')}"
    name = validate_identifier(raw["name"], where)
    domain = validate_identifier(raw["domain"], where)
    sql_path = SQL_DIR / domain / f"{name}.sql"
    if not sql_path.is_file():
        raise ValueError(f"{where}: missing query file {sql_path}")
    if raw["cadence"] not in CADENCE_IDS or raw["cadence"] == "continuous":
        raise ValueError(f"{where}: cadence must be a scheduled cadence, not {raw['cadence']!r}")
    partitions_for(raw["partitions"])  # refuses an unknown partitioning
    partitioned = raw["partitions"] != "none"
    if partitioned != ("partition_column" in raw):
        raise ValueError(f"{where}: partition_column goes with partitioned assets only")
    if raw.get("lookback") and raw["partitions"] != "daily":
        raise ValueError(f"{where}: lookback applies to daily partitions only")
    unknown_settings = set(raw.get("lookback") or ()) - metric_settings().keys()
    if unknown_settings:
        raise ValueError(f"{where}: lookback names unknown settings {sorted(unknown_settings)}")
    described = raw.get("columns") or {}
    _names([*described, *([raw["partition_column"]] if partitioned else [])], where)
    headline = raw.get("headline")
    if headline and headline.get("aggregate", "sum") not in ("sum", "last"):
        raise ValueError(f"{where}: headline aggregate must be sum or last")
    hooks = raw.get("hooks") or {}
    return SqlAssetDeclaration(
        name=name,
        domain=domain,
        description=" ".join(raw["description"].split()),
        owner=raw["owner"],
        cadence=raw["cadence"],
        partitions=raw["partitions"],
        partition_column=raw.get("partition_column"),
        deps=tuple(raw.get("deps", [])),
        key=_names(raw["key"], where),
        non_negative=_names(raw.get("non_negative"), where),
        headline=Headline(
            column=validate_identifier(headline["column"], where),
            label=validate_identifier(headline["label"], where),
            aggregate=headline.get("aggregate", "sum"),
            filter=tuple(
                (validate_identifier(column, where), value)
                for column, value in (headline.get("filter") or {}).items()
            ),
        )
        if headline
        else None,
        columns={name: " ".join(str(text).split()) for name, text in described.items()},
        sql=sql_path.read_text(encoding="utf-8"),
        percent_columns=_names(raw.get("percent_columns"), where),
        lookback=tuple(raw.get("lookback") or ()),
        hooks=tuple(
            (validate_identifier(hook, where), tuple(sorted((options or {}).items())))
            for hook, options in hooks.items()
        ),
        kinds=tuple(raw.get("kinds") or ()),
    )


def load_declarations() -> list[SqlAssetDeclaration]:
    declarations = [
        _declaration(raw, path.name)
        for path in sorted(DECLARATIONS_DIR.glob("*.yaml"))
        for raw in load_yaml(path)["sql_assets"]
    ]
    names = [declaration.qualified_name for declaration in declarations]
    if len(set(names)) != len(names):
        raise ValueError(f"{DECLARATIONS_DIR}: an asset is declared twice")
    return declarations


def declaration_named(name: str) -> SqlAssetDeclaration:
    return next(item for item in load_declarations() if item.name == name)


def lookback_days(declaration: SqlAssetDeclaration) -> int:
    """How many days before its window a run of this asset re-computes (late data)."""
    settings = metric_settings()
    return sum(int(settings[name]) for name in declaration.lookback)


def rewritten_window(
    declaration: SqlAssetDeclaration, window_start: datetime, window_end: datetime
) -> tuple[datetime, datetime]:
    """The window a run really rewrites: its own, widened by the look-back (local midnight)."""
    if not declaration.lookback:
        return window_start, window_end
    tz = load_settings().tz
    first = window_start.astimezone(tz).date() - timedelta(days=lookback_days(declaration))
    return datetime(first.year, first.month, first.day, tzinfo=tz), window_end


def rebuild_table(connection: duckdb.DuckDBPyConnection, declaration: SqlAssetDeclaration) -> int:
    """Unpartitioned: replace the whole table atomically; returns rows written."""
    parameters = query_parameters(declaration.sql, {}, declaration.query_path)
    connection.execute("begin transaction")
    try:
        connection.execute(
            f"create or replace table {declaration.qualified_name} as " + declaration.sql,
            parameters,
        )
        written = connection.execute(
            f"select count(*) from {declaration.qualified_name}"
        ).fetchone()
        connection.execute("commit")
    except Exception:
        connection.execute("rollback")
        raise
    return int(written[0]) if written else 0


def write_window(
    connection: duckdb.DuckDBPyConnection,
    declaration: SqlAssetDeclaration,
    window_start: datetime,
    window_end: datetime,
) -> int:
    """Replace the window's rows with the query's rows, atomically; returns rows written."""
    table = declaration.qualified_name
    column = declaration.partition_column
    if column is None:
        raise ValueError(f"{table} is not partitioned")
    bounds = {
        "start_date": window_start.date(),
        "end_date": window_end.date(),
    }
    connection.execute("begin transaction")
    try:
        connection.execute(
            "create or replace temp table window_rows as " + declaration.sql,
            query_parameters(
                declaration.sql,
                {"window_start": window_start, "window_end": window_end},
                declaration.query_path,
            ),
        )
        outside = connection.execute(
            f"select count(*) from window_rows where {column} is null "
            f"or {column} < $start_date or {column} >= $end_date",
            bounds,
        ).fetchone()
        if outside and outside[0]:
            raise ValueError(
                f"{declaration.query_path} returned {outside[0]} rows "
                f"whose {column} is outside [{bounds['start_date']}, {bounds['end_date']})"
            )
        if not table_exists(connection, declaration.domain, declaration.name):
            connection.execute(f"create table {table} as from window_rows limit 0")
        connection.execute(
            f"delete from {table} where {column} >= $start_date and {column} < $end_date", bounds
        )
        connection.execute(f"insert into {table} by name select * from window_rows")
        written = connection.execute("select count(*) from window_rows").fetchone()
        connection.execute("drop table window_rows")
        connection.execute("commit")
    except Exception:
        connection.execute("rollback")
        raise
    return int(written[0]) if written else 0


def count_value(connection: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any]) -> int:
    row = connection.execute(sql, params).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def key_check_results(
    connection: duckdb.DuckDBPyConnection, declaration: SqlAssetDeclaration, written: WrittenRows
) -> list[dg.AssetCheckResult]:
    """The checks every SQL asset gets, over the rows the run wrote."""
    table, scope, params = declaration.qualified_name, written.scope, written.params
    keys = ", ".join(declaration.key)
    any_null = " or ".join(f"{part} is null" for part in declaration.key)
    duplicates = count_value(
        connection,
        f"select count(*) from (select {keys} from {table} where {scope} "
        f"group by all having count(*) > 1)",
        params,
    )
    null_keys = count_value(
        connection, f"select count(*) from {table} where {scope} and ({any_null})", params
    )
    results = [
        dg.AssetCheckResult(
            check_name=KEY_CHECK,
            passed=not duplicates and not null_keys,
            metadata={"duplicate_keys": duplicates, "null_keys": null_keys},
        )
    ]
    if declaration.non_negative:
        negative = " or ".join(f"{name} < 0" for name in declaration.non_negative)
        bad = count_value(
            connection, f"select count(*) from {table} where {scope} and ({negative})", params
        )
        results.append(
            dg.AssetCheckResult(
                check_name=NON_NEGATIVE_CHECK, passed=not bad, metadata={"negative_rows": bad}
            )
        )
    if declaration.percent_columns:
        outside = " or ".join(f"{c} < 0 or {c} > 100" for c in declaration.percent_columns)
        bad = count_value(
            connection, f"select count(*) from {table} where {scope} and ({outside})", params
        )
        results.append(
            dg.AssetCheckResult(
                check_name=PERCENT_CHECK, passed=not bad, metadata={"rows_outside_0_100": bad}
            )
        )
    return results


def _headline(
    connection: duckdb.DuckDBPyConnection, declaration: SqlAssetDeclaration, written: WrittenRows
) -> dict[str, float]:
    """A sum over the written rows, or the latest non-NULL value: the newest cohorts are
    immature, and a NULL plotted as 0 would read as a collapse."""
    if not declaration.headline:
        return {}
    headline, table = declaration.headline, declaration.qualified_name
    params = dict(written.params)
    where = [f"({written.scope})"]
    for index, (column, value) in enumerate(headline.filter):
        where.append(f"{column} = $headline_{index}")
        params[f"headline_{index}"] = value
    condition = " and ".join(where)
    if headline.aggregate == "sum":
        sql = f"select sum({headline.column}) from {table} where {condition}"
    else:
        sql = (
            f"select {headline.column} from {table} where {condition} "
            f"and {headline.column} is not null order by {declaration.order_column} desc limit 1"
        )
    value = connection.execute(sql, params).fetchone()
    return {headline.label: float(value[0]) if value and value[0] is not None else 0.0}


def _check_specs(declaration: SqlAssetDeclaration, hooks: Hooks) -> list[dg.AssetCheckSpec]:
    key = declaration.asset_key
    specs = [
        dg.AssetCheckSpec(
            KEY_CHECK,
            asset=key,
            description=f"Each ({', '.join(declaration.key)}) appears once and is never null.",
            blocking=True,
        )
    ]
    if declaration.non_negative:
        specs.append(
            dg.AssetCheckSpec(
                NON_NEGATIVE_CHECK,
                asset=key,
                description=f"{', '.join(declaration.non_negative)} are never negative.",
                blocking=True,
            )
        )
    if declaration.percent_columns:
        specs.append(
            dg.AssetCheckSpec(
                PERCENT_CHECK,
                asset=key,
                description=f"{', '.join(declaration.percent_columns)} lie within 0-100.",
                blocking=True,
            )
        )
    for name, _ in declaration.hooks:
        hook = hooks[name]
        if isinstance(hook, CheckHook):
            specs.append(
                dg.AssetCheckSpec(
                    name, asset=key, description=hook.description, blocking=hook.blocking
                )
            )
    return specs


def _description(declaration: SqlAssetDeclaration) -> str:
    if not declaration.lookback:
        return declaration.description
    return (
        f"{declaration.description} A daily run also re-computes the "
        f"{lookback_days(declaration)} days before its partition, so late-arriving data "
        "reaches the rows it belongs to."
    )


def build_sql_asset(
    declaration: SqlAssetDeclaration, hooks: Hooks | None = None
) -> dg.AssetsDefinition:
    hooks = hooks or {}
    missing = [name for name, _ in declaration.hooks if name not in hooks]
    if missing:
        raise ValueError(f"{declaration.qualified_name}: no hook named {missing}")
    partitions = partitions_for(declaration.partitions)

    @dg.asset(
        key=declaration.asset_key,
        description=_description(declaration),
        group_name=declaration.domain,
        owners=[owner_for(declaration.owner)],
        tags={"cadence": declaration.cadence, "domain": declaration.domain},
        kinds={"duckdb", "sql", *declaration.kinds},
        deps=[dg.AssetKey(dep.split("/")) for dep in declaration.deps],
        partitions_def=partitions,
        backfill_policy=dg.BackfillPolicy.single_run() if partitions else None,
        check_specs=_check_specs(declaration, hooks),
        pool="duckdb",
    )
    def sql_asset(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
        window = context.partition_time_window if partitions else None
        with warehouse.connect() as connection:
            if window is None:
                written_rows = rebuild_table(connection, declaration)
                written = WrittenRows("true", {}, None)
                written_for = "the whole table"
            else:
                start, end = rewritten_window(declaration, window.start, window.end)
                written_rows = write_window(connection, declaration, start, end)
                column = declaration.partition_column
                written = WrittenRows(
                    f"{column} >= $start_date and {column} < $end_date",
                    {"start_date": start.date(), "end_date": end.date()},
                    window,
                )
                written_for = f"[{start.date()}, {end.date()})"
            metadata = table_metadata(
                connection,
                declaration.qualified_name,
                preview_sql=(
                    f"select * from {declaration.qualified_name} where {written.scope} "
                    f"order by {declaration.order_column} desc limit 10"
                ),
                preview_params=written.params,
                descriptions=declaration.columns,
            )
            metadata |= _headline(connection, declaration, written)
            checks = key_check_results(connection, declaration, written)
            for name, options in declaration.hooks:
                hook = hooks[name]
                outcome = hook.evaluate(connection, declaration, written, dict(options))
                if isinstance(hook, CheckHook):
                    checks.append(outcome)
                else:
                    metadata |= outcome
        context.log.info(
            f"{declaration.qualified_name}: wrote {written_rows} rows for {written_for}"
        )
        # Per run, not per partition: a range backfill attaches them to each of its partitions.
        metadata |= {
            "run_rows_written": written_rows,
            "run_window": written_for,
            "sql": dg.MetadataValue.md(f"```sql\n{declaration.sql.strip()}\n```"),
        }
        return dg.MaterializeResult(metadata=metadata, check_results=checks)

    return sql_asset


def build_sql_assets(hooks: Hooks | None = None) -> list[dg.AssetsDefinition]:
    return [build_sql_asset(declaration, hooks) for declaration in load_declarations()]
