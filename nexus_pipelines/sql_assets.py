"""Turns the declarations in assets/sql_assets/*.yaml and the queries in sql/ into Dagster assets.

A partitioned SQL asset is written one way: the query's rows for the window replace the window's
rows in one transaction, so a re-run, a backfill over a range and a partition-by-partition run
all leave the same table. An unpartitioned one replaces its whole table in one transaction.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import dagster as dg
import duckdb

from nexus_pipelines.contract import validate_identifier
from nexus_pipelines.metadata import table_metadata
from nexus_pipelines.partitions import partitions_for
from nexus_pipelines.playbook import CADENCE_IDS, owner_for
from nexus_pipelines.settings import ASSETS_DIR, SQL_DIR, load_yaml, query_parameters
from nexus_pipelines.warehouse import Warehouse, table_exists

DECLARATIONS_DIR = ASSETS_DIR / "sql_assets"


@dataclass(frozen=True)
class Headline:
    column: str
    label: str
    aggregate: str  # "sum" over the written rows, or the value of the "last" partition


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

    @property
    def qualified_name(self) -> str:
        return f"{self.domain}.{self.name}"

    @property
    def asset_key(self) -> dg.AssetKey:
        return dg.AssetKey([self.domain, self.name])

    @property
    def query_path(self) -> str:
        return f"sql/{self.domain}/{self.name}.sql"


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
    described = raw.get("columns") or {}
    columns = [*raw["key"], *raw.get("non_negative", []), *described]
    columns += [raw["partition_column"]] if partitioned else []
    for column in columns:
        validate_identifier(column, where)
    headline = raw.get("headline")
    if headline and headline.get("aggregate", "sum") not in ("sum", "last"):
        raise ValueError(f"{where}: headline aggregate must be sum or last")
    return SqlAssetDeclaration(
        name=name,
        domain=domain,
        description=" ".join(raw["description"].split()),
        owner=raw["owner"],
        cadence=raw["cadence"],
        partitions=raw["partitions"],
        partition_column=raw.get("partition_column"),
        deps=tuple(raw.get("deps", [])),
        key=tuple(raw["key"]),
        non_negative=tuple(raw.get("non_negative", [])),
        headline=Headline(
            column=validate_identifier(headline["column"], where),
            label=validate_identifier(headline["label"], where),
            aggregate=headline.get("aggregate", "sum"),
        )
        if headline
        else None,
        columns={name: " ".join(str(text).split()) for name, text in described.items()},
        sql=sql_path.read_text(encoding="utf-8"),
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


def _scope(
    declaration: SqlAssetDeclaration, window: dg.TimeWindow | None
) -> tuple[str, dict[str, Any]]:
    """The rows a run wrote: the window's for a partitioned asset, all for the others."""
    if window is None or declaration.partition_column is None:
        return "true", {}
    column = declaration.partition_column
    bounds = {"start_date": window.start.date(), "end_date": window.end.date()}
    return f"{column} >= $start_date and {column} < $end_date", bounds


def _check_results(
    connection: duckdb.DuckDBPyConnection, declaration: SqlAssetDeclaration, scope: str, params
) -> list[dg.AssetCheckResult]:
    table = declaration.qualified_name
    keys = ", ".join(declaration.key)
    any_null = " or ".join(f"{part} is null" for part in declaration.key)
    duplicates = connection.execute(
        f"select count(*) from (select {keys} from {table} where {scope} "
        f"group by all having count(*) > 1)",
        params,
    ).fetchone()
    null_keys = connection.execute(
        f"select count(*) from {table} where {scope} and ({any_null})", params
    ).fetchone()
    results = [
        dg.AssetCheckResult(
            check_name="key_unique_and_present",
            passed=not duplicates[0] and not null_keys[0],
            metadata={"duplicate_keys": int(duplicates[0]), "null_keys": int(null_keys[0])},
        )
    ]
    if declaration.non_negative:
        negative = " or ".join(f"{name} < 0" for name in declaration.non_negative)
        bad = connection.execute(
            f"select count(*) from {table} where {scope} and ({negative})", params
        ).fetchone()
        results.append(
            dg.AssetCheckResult(
                check_name="non_negative",
                passed=not bad[0],
                metadata={"negative_rows": int(bad[0])},
            )
        )
    return results


def _headline(
    connection: duckdb.DuckDBPyConnection, declaration: SqlAssetDeclaration, scope: str, params
) -> dict[str, float]:
    if not declaration.headline:
        return {}
    headline, table = declaration.headline, declaration.qualified_name
    if headline.aggregate == "sum":
        sql = f"select sum({headline.column}) from {table} where {scope}"
    else:
        latest = declaration.partition_column or declaration.key[0]
        sql = f"select {headline.column} from {table} where {scope} order by {latest} desc limit 1"
    value = connection.execute(sql, params).fetchone()
    return {headline.label: float(value[0]) if value and value[0] is not None else 0.0}


def build_sql_asset(declaration: SqlAssetDeclaration) -> dg.AssetsDefinition:
    check_specs = [
        dg.AssetCheckSpec(
            "key_unique_and_present",
            asset=declaration.asset_key,
            description=f"Each ({', '.join(declaration.key)}) appears once and is never null.",
            blocking=True,
        )
    ]
    if declaration.non_negative:
        check_specs.append(
            dg.AssetCheckSpec(
                "non_negative",
                asset=declaration.asset_key,
                description=f"{', '.join(declaration.non_negative)} are never negative.",
                blocking=True,
            )
        )
    partitions = partitions_for(declaration.partitions)

    @dg.asset(
        key=declaration.asset_key,
        description=declaration.description,
        group_name=declaration.domain,
        owners=[owner_for(declaration.owner)],
        tags={"cadence": declaration.cadence, "domain": declaration.domain},
        kinds={"duckdb", "sql"},
        deps=[dg.AssetKey(dep.split("/")) for dep in declaration.deps],
        partitions_def=partitions,
        backfill_policy=dg.BackfillPolicy.single_run() if partitions else None,
        check_specs=check_specs,
        pool="duckdb",
    )
    def sql_asset(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
        window = context.partition_time_window if partitions else None
        scope, params = _scope(declaration, window)
        order = declaration.partition_column or declaration.key[0]
        with warehouse.connect() as connection:
            if window is None:
                written = rebuild_table(connection, declaration)
            else:
                written = write_window(connection, declaration, window.start, window.end)
            metadata = table_metadata(
                connection,
                declaration.qualified_name,
                preview_sql=(
                    f"select * from {declaration.qualified_name} where {scope} "
                    f"order by {order} desc limit 10"
                ),
                preview_params=params,
                descriptions=declaration.columns,
            )
            metadata |= _headline(connection, declaration, scope, params)
            checks = _check_results(connection, declaration, scope, params)
        written_for = (
            f"[{params['start_date']}, {params['end_date']})" if params else "the whole table"
        )
        context.log.info(f"{declaration.qualified_name}: wrote {written} rows for {written_for}")
        # Per run, not per partition: a range backfill attaches them to each of its partitions.
        metadata |= {
            "run_rows_written": written,
            "run_window": written_for,
            "sql": dg.MetadataValue.md(f"```sql\n{declaration.sql.strip()}\n```"),
        }
        return dg.MaterializeResult(metadata=metadata, check_results=checks)

    return sql_asset


def build_sql_assets() -> list[dg.AssetsDefinition]:
    return [build_sql_asset(declaration) for declaration in load_declarations()]
