"""Turns the declarations in assets/sql_assets.yaml and the queries in sql/ into Dagster assets.

Every SQL asset is daily-partitioned and written the same way: the query's rows for the window
replace the window's rows in one transaction, so a re-run, a backfill over a range and a
day-by-day run all leave the same table.
"""

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import dagster as dg
import duckdb

from nexus_pipelines.contract import validate_identifier
from nexus_pipelines.metadata import table_metadata
from nexus_pipelines.partitions import partitions_for
from nexus_pipelines.playbook import CADENCE_IDS, owner_for
from nexus_pipelines.settings import ASSETS_DIR, SQL_DIR, load_settings, load_yaml
from nexus_pipelines.warehouse import Warehouse, table_exists

DECLARATIONS_PATH = ASSETS_DIR / "sql_assets.yaml"
_PARAMETER = re.compile(r"\$([a-z_][a-z0-9_]*)")


@dataclass(frozen=True)
class Headline:
    column: str
    label: str
    aggregate: str  # "sum" over the window, or the "last" day's value


@dataclass(frozen=True)
class SqlAssetDeclaration:
    name: str
    domain: str
    description: str
    owner: str
    cadence: str
    partitions: str
    partition_column: str
    deps: tuple[str, ...]
    key: tuple[str, ...]
    non_negative: tuple[str, ...]
    headline: Headline | None
    sql: str

    @property
    def qualified_name(self) -> str:
        return f"{self.domain}.{self.name}"

    @property
    def asset_key(self) -> dg.AssetKey:
        return dg.AssetKey([self.domain, self.name])

    @property
    def parameters(self) -> set[str]:
        return set(_PARAMETER.findall(self.sql))


def _declaration(raw: dict[str, Any]) -> SqlAssetDeclaration:
    where = f"{DECLARATIONS_PATH.name}: {raw.get('name')}"
    name = validate_identifier(raw["name"], where)
    domain = validate_identifier(raw["domain"], where)
    sql_path = SQL_DIR / domain / f"{name}.sql"
    if not sql_path.is_file():
        raise ValueError(f"{where}: missing query file {sql_path}")
    if raw["cadence"] not in CADENCE_IDS or raw["cadence"] == "continuous":
        raise ValueError(f"{where}: cadence must be a scheduled cadence, not {raw['cadence']!r}")
    if raw["partitions"] != "daily":
        raise ValueError(f"{where}: unsupported partitions {raw['partitions']!r}")
    columns = [raw["partition_column"], *raw["key"], *raw.get("non_negative", [])]
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
        partition_column=raw["partition_column"],
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
        sql=sql_path.read_text(encoding="utf-8"),
    )


def load_declarations() -> list[SqlAssetDeclaration]:
    declarations = [_declaration(raw) for raw in load_yaml(DECLARATIONS_PATH)["sql_assets"]]
    names = [declaration.qualified_name for declaration in declarations]
    if len(set(names)) != len(names):
        raise ValueError(f"{DECLARATIONS_PATH.name}: an asset is declared twice")
    return declarations


def query_parameters(
    declaration: SqlAssetDeclaration, window_start: datetime, window_end: datetime
) -> dict[str, Any]:
    """Only the parameters the query names: DuckDB rejects unused named parameters."""
    settings = load_settings()
    available = {
        "window_start": window_start,
        "window_end": window_end,
        "reporting_timezone": settings.reporting_timezone,
    }
    unknown = declaration.parameters - available.keys()
    if unknown:
        raise ValueError(f"sql/{declaration.domain}/{declaration.name}.sql: unknown {unknown}")
    return {name: available[name] for name in declaration.parameters}


def write_window(
    connection: duckdb.DuckDBPyConnection,
    declaration: SqlAssetDeclaration,
    window_start: datetime,
    window_end: datetime,
) -> int:
    """Replace the window's rows with the query's rows, atomically; returns rows written."""
    table = declaration.qualified_name
    column = declaration.partition_column
    bounds = {
        "start_date": window_start.date(),
        "end_date": window_end.date(),
    }
    connection.execute("begin transaction")
    try:
        connection.execute(
            "create or replace temp table window_rows as " + declaration.sql,
            query_parameters(declaration, window_start, window_end),
        )
        outside = connection.execute(
            f"select count(*) from window_rows where {column} is null "
            f"or {column} < $start_date or {column} >= $end_date",
            bounds,
        ).fetchone()
        if outside and outside[0]:
            raise ValueError(
                f"sql/{declaration.domain}/{declaration.name}.sql returned {outside[0]} rows "
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


def _check_results(
    connection: duckdb.DuckDBPyConnection,
    declaration: SqlAssetDeclaration,
    bounds: dict[str, Any],
) -> list[dg.AssetCheckResult]:
    table, column = declaration.qualified_name, declaration.partition_column
    in_window = f"{column} >= $start_date and {column} < $end_date"
    keys = ", ".join(declaration.key)
    any_null = " or ".join(f"{part} is null" for part in declaration.key)
    duplicates = connection.execute(
        f"select count(*) from (select {keys} from {table} where {in_window} "
        f"group by all having count(*) > 1)",
        bounds,
    ).fetchone()
    null_keys = connection.execute(
        f"select count(*) from {table} where {in_window} and ({any_null})", bounds
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
            f"select count(*) from {table} where {in_window} and ({negative})", bounds
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
    connection: duckdb.DuckDBPyConnection,
    declaration: SqlAssetDeclaration,
    bounds: dict[str, Any],
) -> dict[str, float]:
    if not declaration.headline:
        return {}
    headline, column = declaration.headline, declaration.partition_column
    in_window = f"{column} >= $start_date and {column} < $end_date"
    if headline.aggregate == "sum":
        sql = f"select sum({headline.column}) from {declaration.qualified_name} where {in_window}"
    else:
        sql = (
            f"select {headline.column} from {declaration.qualified_name} where {in_window} "
            f"order by {column} desc limit 1"
        )
    value = connection.execute(sql, bounds).fetchone()
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

    @dg.asset(
        key=declaration.asset_key,
        description=declaration.description,
        group_name=declaration.domain,
        owners=[owner_for(declaration.owner)],
        tags={"cadence": declaration.cadence, "domain": declaration.domain},
        kinds={"duckdb", "sql"},
        deps=[dg.AssetKey(dep.split("/")) for dep in declaration.deps],
        partitions_def=partitions_for(declaration.partitions),
        backfill_policy=dg.BackfillPolicy.single_run(),
        check_specs=check_specs,
        pool="duckdb",
    )
    def sql_asset(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
        window = context.partition_time_window
        bounds = {"start_date": window.start.date(), "end_date": window.end.date()}
        with warehouse.connect() as connection:
            written = write_window(connection, declaration, window.start, window.end)
            column = declaration.partition_column
            metadata = table_metadata(
                connection,
                declaration.qualified_name,
                preview_sql=(
                    f"select * from {declaration.qualified_name} where {column} >= $start_date "
                    f"and {column} < $end_date order by {column} desc limit 10"
                ),
                preview_params=bounds,
            )
            metadata |= _headline(connection, declaration, bounds)
            checks = _check_results(connection, declaration, bounds)
        context.log.info(
            f"{declaration.qualified_name}: wrote {written} rows for "
            f"[{bounds['start_date']}, {bounds['end_date']})"
        )
        metadata |= {
            "rows_written": written,
            "window": f"[{bounds['start_date']}, {bounds['end_date']})",
            "sql": dg.MetadataValue.md(f"```sql\n{declaration.sql.strip()}\n```"),
        }
        return dg.MaterializeResult(metadata=metadata, check_results=checks)

    return sql_asset


def build_sql_assets() -> list[dg.AssetsDefinition]:
    return [build_sql_asset(declaration) for declaration in load_declarations()]
