"""Turns the domains' SQL asset declarations (assets/domains/<domain>/assets.yaml) and their
queries (sql/<domain>/) into Dagster assets.

A partitioned SQL asset is written one way: the query's rows for the window replace the window's
rows in one transaction, so a re-run, a backfill over a range and a partition-by-partition run
all leave the same table. A declared look-back widens the rewritten window to the days before it
that late data can still change. An unpartitioned asset replaces its whole table in one
transaction. Keys and value rules are checked before the commit (warehouse.replace_where). What
the generic asset cannot do (a domain's own checks, pictures) a declaration asks for by name
from the hooks its own domain's module provides.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal, Self
from zoneinfo import ZoneInfo

import dagster as dg
import duckdb
from pydantic import Field, model_validator

from nexus_pipelines.metadata import (
    PREVIEW_ROWS,
    ColumnFormat,
    column_kinds,
    headline_number,
    partitioned_result,
    table_columns,
    table_metadata,
)
from nexus_pipelines.partitions import (
    PARTITIONS_TIMEZONE,
    days_written,
    local_midnight,
    partitions_for,
)
from nexus_pipelines.project import (
    Declaration,
    Description,
    Domain,
    Identifier,
    Project,
    project,
    require_descriptions,
)
from nexus_pipelines.settings import PROJECT_DIR, load_settings
from nexus_pipelines.warehouse import TableRules, Warehouse, replace_where, warehouse_asset

# One check for the write's rules (key, non-negative, 0-100): one guarantee, enforced together
# before the commit, so one check reports them all (each rule its own count) and a run records
# one evaluation an asset, not three.
RULES_CHECK = "write_rules"
# The preview looks for its period among the newest this many (a month of days: a daily cohort's
# first ten days are filled within it).
PREVIEW_LOOKBACK_PERIODS = 31
ScheduledCadence = Literal["daily", "weekly", "biweekly", "monthly", "quarterly"]


class HeadlineSpec(Declaration):
    column: Identifier
    label: Identifier
    aggregate: Literal["sum", "last"] = "sum"
    filter: dict[Identifier, Any] = Field(default_factory=dict)


class SqlAssetSpec(Declaration):
    """One entry of assets.yaml; the fields are described in assets/domains/README.md."""

    name: Identifier
    description: str
    owner: str
    cadence: ScheduledCadence
    partitions: Literal["days_by_month", "monthly", "none"]
    partition_column: Identifier | None = None
    deps: list[str] = Field(default_factory=list)
    key: list[Identifier] = Field(min_length=1)
    non_negative: list[Identifier] = Field(default_factory=list)
    percent_columns: list[Identifier] = Field(default_factory=list)
    lookback: list[str] = Field(default_factory=list)
    hooks: dict[Identifier, dict[str, Any] | None] = Field(default_factory=dict)
    kinds: list[str] = Field(default_factory=list)
    columns: dict[Identifier, Description] = Field(default_factory=dict)
    formats: dict[Identifier, ColumnFormat] = Field(default_factory=dict)
    preview_by: Identifier | None = None
    headline: HeadlineSpec | None = None
    query: Identifier | None = None
    parameters: dict[Identifier, str | int | float] = Field(default_factory=dict)
    rename: dict[Identifier, Identifier] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _named_columns_described(self) -> Self:
        headline = self.headline
        require_descriptions(
            self.columns,
            {
                "key": self.key,
                "partition_column": [self.partition_column],
                "non_negative": self.non_negative,
                "percent_columns": self.percent_columns,
                "headline": [headline.column, *headline.filter] if headline else [],
            },
        )
        return self


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
    lookback_days: int = 0  # days before its window a run re-computes (late data)
    hooks: tuple[tuple[str, tuple[tuple[str, Any], ...]], ...] = ()  # (hook name, options)
    kinds: tuple[str, ...] = ()
    query_file: str = ""  # the query file, relative to the project
    parameters: tuple[tuple[str, Any], ...] = ()  # constants the declaration binds ($grain...)
    rename: tuple[tuple[str, str], ...] = ()  # (query column, table column)
    macros: str | None = None  # the domain's shared macros, created before the query runs
    formats: tuple[tuple[str, str], ...] = ()  # (column, format) where the type does not tell
    preview_by: str | None = None  # the column whose kinds of row the preview shows first
    project_root: Path = PROJECT_DIR  # the tree it was declared in: its settings and hooks

    @property
    def domain_files(self) -> Domain:
        return project(self.project_root).domains[self.domain]

    @property
    def qualified_name(self) -> str:
        return f"{self.domain}.{self.name}"

    @property
    def asset_key(self) -> dg.AssetKey:
        return dg.AssetKey([self.domain, self.name])

    @property
    def runnable_sql(self) -> str:
        """The query as the table wants its columns (a shared query's neutral names renamed)."""
        if not self.rename:
            return self.sql
        renames = ", ".join(f"{old} as {new}" for old, new in self.rename)
        return f"select * rename ({renames}) from (\n{self.sql}\n)"

    @property
    def rules(self) -> TableRules:
        return TableRules(self.key, self.non_negative, self.percent_columns)

    @property
    def order_column(self) -> str:
        return self.partition_column or self.key[0]

    @property
    def declared_formats(self) -> dict[str, str]:
        """The formats the declaration states: its percent columns, and its `formats`."""
        return dict.fromkeys(self.percent_columns, "percent") | dict(self.formats)


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


def _declaration(spec: SqlAssetSpec, domain: Domain, source: Project) -> SqlAssetDeclaration:
    where = f"{domain.declarations_path('assets')}: {spec.name}"
    settings = source.metric_settings
    project_root = source.root
    query = spec.query or spec.name
    sql_path = domain.sql_dir / f"{query}.sql"
    if not sql_path.is_file():
        raise ValueError(f"{where}: missing query file {sql_path}")
    partitioned = spec.partitions != "none"
    if partitioned != (spec.partition_column is not None):
        raise ValueError(f"{where}: partition_column goes with partitioned assets only")
    if spec.lookback and spec.partitions != "days_by_month":
        raise ValueError(f"{where}: lookback applies to days_by_month partitions only")
    unknown_settings = set(spec.lookback) - settings.keys()
    if unknown_settings:
        raise ValueError(f"{where}: lookback names unknown settings {sorted(unknown_settings)}")
    headline = spec.headline
    return SqlAssetDeclaration(
        name=spec.name,
        domain=domain.name,
        description=source.described(spec.description, where),
        owner=spec.owner,
        cadence=spec.cadence,
        partitions=spec.partitions,
        partition_column=spec.partition_column,
        deps=tuple(spec.deps),
        key=tuple(spec.key),
        non_negative=tuple(spec.non_negative),
        headline=Headline(
            column=headline.column,
            label=headline.label,
            aggregate=headline.aggregate,
            filter=tuple(headline.filter.items()),
        )
        if headline
        else None,
        columns={
            name: source.described(text, f"{where}: columns: {name}")
            for name, text in spec.columns.items()
        },
        sql=sql_path.read_text(encoding="utf-8"),
        percent_columns=tuple(spec.percent_columns),
        lookback_days=sum(int(settings[name]) for name in spec.lookback),
        hooks=tuple(
            (hook, tuple(sorted((options or {}).items()))) for hook, options in spec.hooks.items()
        ),
        kinds=tuple(spec.kinds),
        query_file=str(sql_path.relative_to(sql_path.parents[2])),
        parameters=tuple(sorted(spec.parameters.items())),
        rename=tuple(spec.rename.items()),
        macros=domain.macros_sql,
        project_root=project_root,
        formats=tuple(spec.formats.items()),
        preview_by=spec.preview_by,
    )


def load_declarations(source: Project | None = None) -> list[SqlAssetDeclaration]:
    """Every domain's SQL assets, validated: read once per process for the code location."""
    source = source or project()
    declarations = []
    for domain in source.domains.values():
        for spec in domain.validated("assets", SqlAssetSpec):
            declarations.append(_declaration(spec, domain, source))
    names = [declaration.qualified_name for declaration in declarations]
    if len(set(names)) != len(names):
        raise ValueError(f"{source.domains_dir}: an asset is declared twice")
    return declarations


def declaration_named(name: str) -> SqlAssetDeclaration:
    return next(item for item in load_declarations() if item.name == name)


def rewritten_window(
    declaration: SqlAssetDeclaration, window: dg.TimeWindow, now: datetime | None = None
) -> tuple[datetime, datetime]:
    """The days a run of this partition really rewrites: the partition's days that exist
    (founding date to yesterday), widened by the look-back to the days before them that late
    data can still change."""
    if declaration.partitions != "days_by_month":  # whole months, all in the past
        return window.start, window.end
    start, end = days_written(window, now)
    if not declaration.lookback_days:
        return start, end
    widened = dg.TimeWindow(
        local_midnight(start.date() - timedelta(days=declaration.lookback_days), start.tzinfo),
        window.end,
    )
    return days_written(widened, now)[0], end


def _timezone_of(moment: datetime) -> str:
    """The reporting timezone a window was cut in travels with it, so the query cuts its
    calendar days in the same zone as the partitions."""
    zone = moment.tzinfo
    if isinstance(zone, ZoneInfo):
        return zone.key
    if zone == UTC:  # how Dagster cuts windows of UTC partitions
        return "UTC"
    raise ValueError(f"window bound {moment} needs an IANA timezone, not {zone!r}")


def prepared_query(
    connection: duckdb.DuckDBPyConnection,
    declaration: SqlAssetDeclaration,
    offered: Mapping[str, Any],
    reporting_timezone: str,
) -> tuple[str, dict[str, Any]]:
    """The query as it runs and the parameters it reads, its domain's macros created: the one
    way both the product and the benchmark's floor run a declaration's SQL."""
    if declaration.macros:
        connection.execute(declaration.macros)
    sql = declaration.runnable_sql
    parameters = project(declaration.project_root).query_parameters(
        sql,
        {**dict(declaration.parameters), **offered},
        declaration.query_file,
        reporting_timezone,
    )
    return sql, parameters


def _run_query(
    connection: duckdb.DuckDBPyConnection,
    declaration: SqlAssetDeclaration,
    offered: Mapping[str, Any],
    reporting_timezone: str,
    where: str | None = None,
    bounds: Mapping[str, Any] | None = None,
) -> int:
    sql, parameters = prepared_query(connection, declaration, offered, reporting_timezone)
    return replace_where(
        connection,
        declaration.qualified_name,
        sql,
        where=where,
        params=bounds,
        rows_params=parameters,
        rules=declaration.rules,
        origin=declaration.query_file,
    )


def rebuild_table(
    connection: duckdb.DuckDBPyConnection,
    declaration: SqlAssetDeclaration,
    reporting_timezone: str | None = None,
) -> int:
    """Unpartitioned: replace the whole table atomically; returns rows written."""
    timezone = reporting_timezone or load_settings().reporting_timezone
    return _run_query(connection, declaration, {}, timezone)


def write_window(
    connection: duckdb.DuckDBPyConnection,
    declaration: SqlAssetDeclaration,
    window_start: datetime,
    window_end: datetime,
) -> int:
    """Replace the window's rows with the query's rows, atomically; returns rows written."""
    column = declaration.partition_column
    if column is None:
        raise ValueError(f"{declaration.qualified_name} is not partitioned")
    return _run_query(
        connection,
        declaration,
        {"window_start": window_start, "window_end": window_end},
        _timezone_of(window_start),
        where=f"{column} >= $start_date and {column} < $end_date",
        bounds={"start_date": window_start.date(), "end_date": window_end.date()},
    )


def rules_check_result(declaration: SqlAssetDeclaration) -> dg.AssetCheckResult:
    """The check every SQL asset gets. The write has already enforced its rules before the
    commit (a broken rule fails the step and keeps the previous rows), so a written table passes;
    the metadata names each rule that applies, with its count."""
    counts = {"duplicate_keys": 0, "null_keys": 0}
    if declaration.non_negative:
        counts["negative_rows"] = 0
    if declaration.percent_columns:
        counts["rows_outside_0_100"] = 0
    return dg.AssetCheckResult(check_name=RULES_CHECK, passed=True, metadata=counts)


def _headline_sql(declaration: SqlAssetDeclaration, params: dict[str, Any]) -> str:
    """The headline over rows aliased `t`: a sum, or the latest non-NULL value (the newest
    cohorts are immature, and a NULL plotted as 0 would read as a collapse). Adds the filter's
    parameters to `params`."""
    headline = declaration.headline
    if not headline:
        return "null"
    conditions = [f"t.{headline.column} is not null"]
    for index, (filter_column, value) in enumerate(headline.filter):
        conditions.append(f"t.{filter_column} = $headline_{index}")
        params[f"headline_{index}"] = value
    value = f"t.{headline.column}"
    aggregate = (
        f"sum({value})"
        if headline.aggregate == "sum"
        else f"arg_max({value}, t.{declaration.order_column})"
    )
    return f"{aggregate} filter (where {' and '.join(conditions)})"


def _headline_kind(
    connection: duckdb.DuckDBPyConnection, declaration: SqlAssetDeclaration
) -> str | None:
    headline = declaration.headline
    if not headline:
        return None
    kinds = column_kinds(connection, declaration.qualified_name, declaration.declared_formats)
    return kinds.get(headline.column)


def _headline(
    connection: duckdb.DuckDBPyConnection, declaration: SqlAssetDeclaration, written: WrittenRows
) -> dict[str, Any]:
    if not declaration.headline:
        return {}
    params = dict(written.params)
    headline_sql = _headline_sql(declaration, params)
    value = connection.execute(
        f"select {headline_sql} from {declaration.qualified_name} as t where {written.scope}",
        params,
    ).fetchone()
    kind = _headline_kind(connection, declaration)
    return {declaration.headline.label: headline_number(value[0] if value else None, kind)}


def partition_facts(
    connection: duckdb.DuckDBPyConnection,
    declaration: SqlAssetDeclaration,
    windows: Mapping[str, dg.TimeWindow],
) -> dict[str, dict[str, Any]]:
    """Each partition's own row count and headline, in one grouped query: a range run's
    partitions each read their own truth, so the UI's partition plots are not flat lines."""
    column, table = declaration.partition_column, declaration.qualified_name
    params: dict[str, Any] = {}
    bounds = []
    for index, (key, window) in enumerate(windows.items()):
        bounds.append(f"($key_{index}, $start_{index}, $end_{index})")
        params |= {
            f"key_{index}": key,
            f"start_{index}": window.start.date(),
            f"end_{index}": window.end.date(),
        }
    headline_sql = _headline_sql(declaration, params)
    rows = connection.execute(
        f"select p.partition_key, count(t.{column}), {headline_sql} "
        f"from (values {', '.join(bounds)}) as p(partition_key, window_start, window_end) "
        f"left join {table} as t on t.{column} >= p.window_start and t.{column} < p.window_end "
        "group by p.partition_key",
        params,
    ).fetchall()
    kind = _headline_kind(connection, declaration)
    facts: dict[str, dict[str, Any]] = {}
    for key, count, value in rows:
        facts[key] = {"dagster/row_count": int(count)}
        if declaration.headline:
            facts[key][declaration.headline.label] = headline_number(value, kind)
    return facts


def latest_day_headline(
    connection: duckdb.DuckDBPyConnection, declaration: SqlAssetDeclaration
) -> dict[str, Any]:
    """The headline as of the table's newest day, whichever months a run wrote: the run's newest
    partition carries it, so a backfill of old months, which the UI then shows as the asset's
    latest materialisation, still shows the current figure beside its own month's. A sum is
    the newest day's; a latest value is the latest non-NULL one up to that day."""
    if not declaration.headline:
        return {}
    column, table = declaration.partition_column, declaration.qualified_name
    params: dict[str, Any] = {}
    headline_sql = _headline_sql(declaration, params)
    scope = (
        f"t.{column} = (select max({column}) from {table})"
        if declaration.headline.aggregate == "sum"
        else "true"
    )
    latest_day, value = connection.execute(
        f"select (select max({column}) from {table}), {headline_sql} from {table} as t "
        f"where {scope}",
        params,
    ).fetchone()
    return {
        "latest_day": str(latest_day) if latest_day is not None else dg.MetadataValue.null(),
        f"latest_day_{declaration.headline.label}": headline_number(
            value, _headline_kind(connection, declaration)
        ),
    }


def _ordered_rows(declaration: SqlAssetDeclaration, period: str, complete: str, scope: str) -> str:
    """The rows in `scope`, each numbered within its period in preview order: by the key
    columns after the period, or, with `preview_by`, the first row of each kind (movement...)
    before the second of any."""
    rest = [column for column in declaration.key if column != period]
    by = declaration.preview_by
    rank = "0"
    if by:
        rank = f"row_number() over (partition by {period}, {by}"
        rank += f" order by {', '.join(rest)})" if rest else ")"
    order = ", ".join(["kind_rank", *([by] if by else []), *rest])
    return (
        f"select *, row_number() over (partition by {period} order by {order}) as preview_row "
        f"from (select *, {rank} as kind_rank from {declaration.qualified_name} "
        f"where {complete} and {scope})"
    )


def preview_query(
    connection: duckdb.DuckDBPyConnection, declaration: SqlAssetDeclaration
) -> tuple[str, dict[str, Any]]:
    """The table's latest complete rows, whichever partition a run wrote. The period is the
    partition column, or a DATE first key column; rows of a running period (`is_complete`
    false) are left out. The preview starts at the newest period with the fewest empty cells
    per row in its first rows, found walking back from the newest period while the one before
    is no emptier (at most PREVIEW_LOOKBACK_PERIODS): cells empty because a cohort is young fill
    in with age, so it starts at the newest cohort whose shown days are filled, not at
    yesterday's blank one; a table whose empty cells are facts (no incident of a severity that
    month) stays near its newest period. From there it goes back in time."""
    table = declaration.qualified_name
    columns = table_columns(connection, table)
    types = {name: data_type for name, data_type, _ in columns}
    named = {name for name, _ in declaration.formats} | ({declaration.preview_by} - {None})
    if named - types.keys():
        raise ValueError(
            f"{declaration.qualified_name}: `formats`/`preview_by` name columns the table "
            f"lacks: {sorted(named - types.keys())}"
        )
    complete = "is_complete is not false" if types.get("is_complete") == "BOOLEAN" else "true"
    period = declaration.partition_column
    if period is None and types.get(declaration.key[0]) == "DATE":
        period = declaration.key[0]
    if period is None:
        order = ", ".join(f"{column} desc" for column in declaration.key)
        return f"select * from {table} where {complete} order by {order} limit {PREVIEW_ROWS}", {}
    empty_cells = " + ".join(f'("{name}" is null)::int' for name in types)
    recent = (
        f"{period} >= (select min(p) from (select distinct {period} as p from {table} "
        f"where {complete} order by p desc limit {PREVIEW_LOOKBACK_PERIODS}))"
    )
    emptiness = connection.execute(
        f"select {period}, sum({empty_cells}) / count(*) "
        f"from ({_ordered_rows(declaration, period, complete, recent)}) "
        f"where preview_row <= {PREVIEW_ROWS} group by {period} order by {period} desc"
    ).fetchall()
    newest = step = 0
    while step + 1 < len(emptiness) and emptiness[step + 1][1] <= emptiness[step][1]:
        step += 1
        if emptiness[step][1] < emptiness[newest][1]:
            newest = step
    shown = (
        f"{period} in (select distinct {period} from {table} where {complete} "
        f"and {period} <= $preview_period order by {period} desc limit {PREVIEW_ROWS})"
    )
    return (
        f"select * exclude (kind_rank, preview_row) from "
        f"({_ordered_rows(declaration, period, complete, shown)}) "
        f"order by {period} desc, preview_row limit {PREVIEW_ROWS}",
        {"preview_period": emptiness[newest][0] if emptiness else None},
    )


def _check_specs(declaration: SqlAssetDeclaration, hooks: Hooks) -> list[dg.AssetCheckSpec]:
    key = declaration.asset_key
    rules = [f"each ({', '.join(declaration.key)}) appears once and is never null"]
    if declaration.non_negative:
        rules.append(f"{', '.join(declaration.non_negative)} are never negative")
    if declaration.percent_columns:
        rules.append(f"{', '.join(declaration.percent_columns)} lie within 0-100")
    specs = [
        dg.AssetCheckSpec(
            RULES_CHECK,
            asset=key,
            description="Checked on every write, before its commit (a write that breaks a rule "
            f"is refused and the previous rows stay): {'; '.join(rules)}.",
            blocking=True,
        )
    ]
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
    if not declaration.lookback_days:
        return declaration.description
    return (
        f"{declaration.description} A daily run also re-computes the "
        f"{declaration.lookback_days} days before its partition, so late-arriving data "
        "reaches the rows it belongs to."
    )


def _rows_between(
    declaration: SqlAssetDeclaration, start: datetime, end: datetime, window: dg.TimeWindow
) -> WrittenRows:
    column = declaration.partition_column
    return WrittenRows(
        f"{column} >= $start_date and {column} < $end_date",
        {"start_date": start.date(), "end_date": end.date()},
        window,
    )


def build_sql_asset(declaration: SqlAssetDeclaration) -> dg.AssetsDefinition:
    """The asset of one declaration; its hooks come from its own domain's module."""
    domain = declaration.domain_files
    hooks: Hooks = {name: domain.hook(name) for name, _ in declaration.hooks}
    partitions = partitions_for(declaration.partitions)

    @warehouse_asset(
        key=declaration.asset_key,
        description=_description(declaration),
        owner=declaration.owner,
        cadence=declaration.cadence,
        kinds=["sql", *declaration.kinds],
        deps=[dg.AssetKey(dep.split("/")) for dep in declaration.deps],
        partitions_def=partitions,
        check_specs=_check_specs(declaration, hooks),
        # once per asset, not once per materialised partition
        metadata={
            "sql": dg.MetadataValue.md(f"```sql\n{declaration.sql.strip()}\n```"),
            "dagster/table_name": declaration.qualified_name,
        },
    )
    def sql_asset(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
        window = context.partition_time_window if partitions else None
        with warehouse.get_connection() as connection:
            if window is None:
                written_rows = rebuild_table(connection, declaration, PARTITIONS_TIMEZONE)
                written = WrittenRows("true", {}, None)
                written_for = "the whole table"
            else:
                start, end = rewritten_window(declaration, window)
                written_rows = write_window(connection, declaration, start, end)
                written = _rows_between(declaration, start, end, window)
                written_for = f"[{start.date()}, {end.date()})"
                windows = {
                    key: partitions.time_window_for_partition_key(key)
                    for key in context.partition_keys
                }
            # The preview, schema and pictures go to the newest partition only; every partition
            # gets its own row count and headline. The preview is the table's latest complete
            # rows, as the newest day's headline is the table's.
            preview_sql, preview_params = preview_query(connection, declaration)
            headline_column = [declaration.headline.column] if declaration.headline else []
            metadata = table_metadata(
                connection,
                declaration.qualified_name,
                preview_sql=preview_sql,
                preview_params=preview_params,
                descriptions=declaration.columns,
                formats=declaration.declared_formats,
                first_columns=[*declaration.key, *headline_column],
            )
            if window is None:
                metadata |= _headline(connection, declaration, written)
            else:
                facts = partition_facts(connection, declaration, windows)
                metadata |= latest_day_headline(connection, declaration)
            checks = [rules_check_result(declaration)]
            for name, options in declaration.hooks:
                hook = hooks[name]
                outcome = hook.evaluate(connection, declaration, written, dict(options))
                if isinstance(hook, CheckHook):
                    checks.append(outcome)
                else:
                    metadata |= outcome
        run_facts = {"run_rows_written": written_rows, "run_window": written_for}
        if window is None:
            return dg.MaterializeResult(metadata=metadata | run_facts, check_results=checks)
        return partitioned_result(context, facts, metadata, run_facts, checks)

    return sql_asset


def build_sql_assets(source: Project | None = None) -> list[dg.AssetsDefinition]:
    return [build_sql_asset(declaration) for declaration in load_declarations(source)]
