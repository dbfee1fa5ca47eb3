"""Reports as declarations: a title, an owner, a cadence and sections, each a SQL file shown as a
table, a number or a picture, rendered to markdown the same way for every report.

A domain lists its reports in `assets/domains/<domain>/reports.yaml`; a section's query is
`sql/<domain>/reports/<report>/<query>.sql`, and the tables it reads (DuckDB's parse of it) are
the report's dependencies. Each report is one asset, `<domain>/<report>`, whose markdown is on
its page (`report` metadata) and, every version kept, in the table `<domain>.<report>` (or its
`store`). A report may be one per scheduled cadence (`for_each: cadence`, binding `$cadence`),
of a period (`as_of: true`: partitioned by its cadence's period, binding `$as_of`, the period's
last day, and keeping one version per day), and may have its domain compute rows and checks first
(`computed_by:` a `ReportHook`, for every day of its months: the scorecard's history). Queries may
read the playbook's own tables (`playbook_activities`, `playbook_success_metrics`). The fields are
described in assets/domains/README.md.
"""

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal, Self

import dagster as dg
import duckdb
import pandas as pd
from matplotlib.figure import Figure
from pydantic import AfterValidator, Field, model_validator

from nexus_pipelines.contract import validate_identifier
from nexus_pipelines.metadata import cell_text, markdown_table, partitioned_result, png_markdown
from nexus_pipelines.partitions import (
    CADENCE_PARTITIONS,
    DAYS_BY_MONTH,
    MONTHLY,
    NEWEST_PERIOD,
    REBUILD_TAG,
    days_written,
    local_midnight,
)
from nexus_pipelines.playbook import Cadence, cadences, playbook_tables, success_metrics
from nexus_pipelines.project import Declaration, Domain, Identifier, Project, project
from nexus_pipelines.settings import PROJECT_DIR, load_settings
from nexus_pipelines.sql_assets import ScheduledCadence
from nexus_pipelines.warehouse import (
    TableRules,
    Warehouse,
    replace_where,
    table_exists,
    tables_read,
    warehouse_asset,
)

CADENCE_PLACEHOLDER = "{cadence}"
# What each column of a report's store means, shown with its column schema in the UI.
STORE_DESCRIPTIONS = {
    "cadence": "The cadence the review is of (daily, weekly, biweekly, monthly, quarterly).",
    "as_of": "The last complete day of data the report is of; one version per day.",
    "generated_at": "When this version was rendered (an instant).",
    "report_markdown": "The report as markdown, as shown in the `report` metadata.",
}


def _report_name(value: str) -> str:
    validate_identifier(value.replace(CADENCE_PLACEHOLDER, "cadence"), "name")
    return value


@dataclass(frozen=True)
class HookOutcome:
    """What a hook computed: the day the report renders as of, the metadata of the run's newest
    partition (or of the unpartitioned asset), each partition's own, the checks, and the run's
    own figures."""

    as_of: date
    metadata: dict[str, Any] = field(default_factory=dict)
    by_partition: dict[str, dict[str, Any]] = field(default_factory=dict)
    checks: list[dg.AssetCheckResult] = field(default_factory=list)
    run_facts: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ReportHook:
    """What a domain computes before its report renders: rows the sections then read (the
    scorecard's values), with checks on them. `sources` picks, from the assets upstream, the
    ones that computation reads; `compute` scores the days `[first, last]` (the partitions'
    days, each partition's as `{key: (first day, end day exclusive)}`); `checks` evaluates the
    checks on what is stored, for a run that selects the checks alone."""

    check_specs: Callable[[dg.AssetKey], list[dg.AssetCheckSpec]]
    sources: Callable[[Sequence[dg.AssetKey]], list[dg.AssetKey]]
    compute: Callable[
        [
            dg.AssetExecutionContext,
            duckdb.DuckDBPyConnection,
            date,
            date,
            Mapping[str, tuple[date, date]],
        ],
        HookOutcome,
    ]
    checks: Callable[[duckdb.DuckDBPyConnection], list[dg.AssetCheckResult]]


class SectionSpec(Declaration):
    title: str
    query: Identifier
    show: Literal["table", "number", "picture"] = "table"
    unit: str = ""
    x: Identifier | None = None
    y: list[Identifier] = Field(default_factory=list)

    @model_validator(mode="after")
    def _picture_has_axes(self) -> Self:
        if self.show == "picture" and not (self.x and self.y):
            raise ValueError("a picture needs `x` (one column) and `y` (the columns drawn)")
        return self


# The section a report with `baseline:` ends with: those success metrics on its day against the
# baseline (reporting.baseline), the playbook's "baseline metrics documented".
BASELINE_SECTION = SectionSpec(title="Against the baseline", query="against_baseline")
BASELINE_SQL = PROJECT_DIR / "sql" / "reporting" / "reports" / "baseline" / "against_baseline.sql"


class ReportSpec(Declaration):
    """One entry of reports.yaml."""

    name: Annotated[str, AfterValidator(_report_name)]
    title: str
    description: str
    owner: str | None = None
    cadence: ScheduledCadence | None = None
    for_each: Literal["cadence"] | None = None
    as_of: bool = False
    store: Identifier | None = None
    queries: Identifier | None = None
    computed_by: Identifier | None = None
    lookback: list[Identifier] = Field(default_factory=list)
    baseline: list[Identifier] = Field(default_factory=list)
    sections: list[SectionSpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _owned_and_scheduled(self) -> Self:
        if self.for_each == "cadence":
            if CADENCE_PLACEHOLDER not in self.name or self.cadence or self.owner:
                raise ValueError(
                    "a report for each cadence names itself with {cadence} and takes the "
                    "cadence's schedule and roles: no `cadence` or `owner` of its own"
                )
            if not self.queries:
                raise ValueError("a report for each cadence needs `queries` (its query folder)")
        elif not (self.owner and self.cadence):
            raise ValueError("a report needs an `owner` and a `cadence`")
        if self.computed_by and not self.as_of:
            raise ValueError("a report `computed_by` a hook computes as of a day: `as_of: true`")
        if self.baseline and not self.as_of:
            raise ValueError("a report compared with the baseline is of a day: `as_of: true`")
        if self.lookback and not self.computed_by:
            raise ValueError("a `lookback` widens the days a hook computes: `computed_by`")
        return self


_MACRO = re.compile(
    r"create\s+or\s+replace\s+macro\s+(\w+\.\w+)\s*\(.*?\)\s+as\s+(table\s+)?(.*)",
    re.IGNORECASE | re.DOTALL,
)


def macro_reads(macros_sql: str | None, where: str) -> dict[str, set[str]]:
    """The tables each of a domain's macros reads, through the macros it calls too: DuckDB's
    parse of a query does not look inside a macro it calls, so a section calling one reads
    these as well (its dependencies, and whether it can render yet)."""
    direct: dict[str, set[str]] = {}
    bodies: dict[str, str] = {}
    for statement in duckdb.extract_statements(macros_sql or ""):
        found = _MACRO.search(statement.query)
        if found:
            name, is_table, body = found.groups()
            bodies[name] = body
            direct[name] = set(tables_read(body if is_table else f"select {body}", where))
    reads = {}
    for name in direct:
        seen, pending = {name}, [name]
        while pending:  # the macros it calls, and theirs
            body = bodies[pending.pop()]
            for other in direct.keys() - seen:
                if f"{other}(" in body:
                    seen.add(other)
                    pending.append(other)
        reads[name] = set().union(*(direct[other] for other in seen))
    return reads


class Section:
    def __init__(
        self, spec: SectionSpec, path: Path, where: str, macros: Mapping[str, set[str]]
    ) -> None:
        self.spec = spec
        self.where = where
        self.sql = path.read_text(encoding="utf-8")
        called = (tables for name, tables in macros.items() if f"{name}(" in self.sql)
        self.reads = sorted(set(tables_read(self.sql, where)).union(*called))

    def written(self, connection: duckdb.DuckDBPyConnection) -> bool:
        """Whether every table the section reads has been written (else it shows no rows)."""
        return all(table_exists(connection, *table.split(".")) for table in self.reads)

    def render(
        self, connection: duckdb.DuckDBPyConnection, parameters: dict[str, Any]
    ) -> tuple[str, int | str]:
        """The section's markdown, and what it shows in a figure (rows, or the number)."""
        if not self.written(connection):
            return markdown_table(pd.DataFrame()), 0
        if self.spec.show == "number":  # the first cell, as DuckDB returns it (no float cast)
            rows = connection.execute(self.sql, parameters).fetchall()
            cell = rows[0][0] if rows else None
            value = cell_text(cell)
            text = f"**{value}** {self.spec.unit}".rstrip() if value else "_no data_"
            # a count stays a number in the metadata, so the UI plots it over time
            is_count = isinstance(cell, int) and not isinstance(cell, bool)
            return text, cell if is_count else value
        frame = connection.execute(self.sql, parameters).df()
        if self.spec.show == "table" or frame.empty:
            return markdown_table(frame), len(frame)
        figure = Figure(figsize=(7, 3))
        axes = figure.subplots()
        for column in self.spec.y:
            axes.plot(frame[self.spec.x], frame[column], marker="o", label=column)
        axes.set_xlabel(self.spec.x)
        axes.legend()
        return png_markdown(figure, self.spec.title).value, len(frame)


class Report:
    """A declared report of one domain (for one cadence, when it is one per cadence)."""

    def __init__(
        self,
        spec: ReportSpec,
        domain: Domain,
        source: Project,
        cadence: Cadence | None = None,
    ) -> None:
        self.spec = spec
        self.domain = domain
        self.source = source
        self.cadence = cadence
        self.fields = {"cadence": cadence.id, "cadence_name": cadence.name} if cadence else {}
        self.name = spec.name.format_map(self.fields)
        where = f"{domain.declarations_path('reports')}: {self.name}"
        self.title = spec.title.format_map(self.fields)
        self.description = source.described(spec.description, where, self.fields)
        self.owner = list(cadence.roles) if cadence else [spec.owner or ""]
        self.cadence_id = cadence.id if cadence else spec.cadence or ""
        self.hook: ReportHook | None = domain.hook(spec.computed_by) if spec.computed_by else None
        # a report of a day is partitioned by its cadence's period (the scorecard's hook writes
        # every day of its months)
        self.partitions_def = CADENCE_PARTITIONS[self.cadence_id] if spec.as_of else None
        unknown = set(spec.lookback) - source.metric_settings.keys()
        if unknown:
            raise ValueError(f"{where}: lookback names unknown settings {sorted(unknown)}")
        self.lookback_days = sum(int(source.metric_settings[name]) for name in spec.lookback)
        folder = domain.sql_dir / "reports" / (spec.queries or spec.name)
        macros = macro_reads(domain.macros_sql, str(domain.sql_dir))
        self.sections = []
        for section in spec.sections:
            path = folder / f"{section.query}.sql"
            if not path.is_file():
                raise ValueError(f"{where}, section {section.title!r}: no query file {path}")
            self.sections.append(Section(section, path, str(path), macros))
        unknown = set(spec.baseline) - {metric.id for metric in success_metrics()}
        if unknown:
            raise ValueError(f"{where}: baseline names unknown success metrics {sorted(unknown)}")
        if spec.baseline:  # last: the day's figures first, then how far they are from the start
            self.sections.append(Section(BASELINE_SECTION, BASELINE_SQL, str(BASELINE_SQL), {}))

    @property
    def key(self) -> dg.AssetKey:
        return dg.AssetKey([self.domain.name, self.name])

    @property
    def table(self) -> str:
        return f"{self.domain.name}.{self.spec.store or self.name}"

    def deps(self, upstream: Sequence[dg.AssetKey]) -> list[dg.AssetKey]:
        """The tables its sections read, and what its hook reads; never itself."""
        reads = {dg.AssetKey(t.split(".")) for section in self.sections for t in section.reads}
        if self.hook:
            reads |= set(self.hook.sources(upstream))
        return sorted(reads - {self.key}, key=lambda key: key.path)

    @property
    def columns(self) -> dict[str, str]:
        """The store's columns: one version per cadence, day or generation, as declared."""
        return (
            ({"cadence": "varchar"} if self.cadence else {})
            | ({"as_of": "date"} if self.spec.as_of else {})
            | {"generated_at": "timestamptz", "report_markdown": "varchar"}
        )

    @property
    def column_schema(self) -> dg.TableSchema:
        return dg.TableSchema(
            columns=[
                dg.TableColumn(name, kind, description=STORE_DESCRIPTIONS[name])
                for name, kind in self.columns.items()
            ]
        )

    def period_as_of(self, partition_key: str, data_as_of: date) -> date:
        """The day a partition's version is as of: its period's last day that exists, or the
        data's last day when that is sooner; a period after the data still states its own end
        (and shows what its days hold: nothing), never an earlier period's day."""
        assert self.partitions_def is not None
        window = self.partitions_def.time_window_for_partition_key(partition_key)
        first, after = days_written(window)
        last_day = max(first.date(), (after - timedelta(days=1)).date())
        return last_day if data_as_of < first.date() else min(last_day, data_as_of)

    def parameters(self, section: Section, as_of: date | None) -> dict[str, Any]:
        offered = {"cadence": self.cadence_id, "baseline_metrics": self.spec.baseline} | (
            {"as_of": as_of} if as_of else {}
        )
        return self.source.query_parameters(section.sql, offered, section.where)

    def prepare(self, connection: duckdb.DuckDBPyConnection) -> None:
        """What the sections read besides the warehouse: the playbook's tables and the domain's
        macros, which sections share as its assets' queries do. DuckDB binds a macro's tables
        when it is created, so one over tables not written yet is left out: a section calling it
        fails loudly, and one that does not still renders."""
        # DuckDB reads `frame` by its name. A temp table, because registering a frame (or a view
        # of one) is refused while the connection holds a half-read result.
        for name, frame in playbook_tables().items():  # noqa: B007
            connection.execute(f"create or replace temp table {name} as from frame")
        for statement in duckdb.extract_statements(self.domain.macros_sql or ""):
            try:
                connection.execute(statement)
            except (duckdb.CatalogException, duckdb.BinderException):
                continue

    def render(
        self, connection: duckdb.DuckDBPyConnection, generated_at: datetime, as_of: date | None
    ) -> tuple[str, dict[str, int | str]]:
        """The markdown, and per section what it shows (`<query>_rows`, or the number)."""
        when = f"as of {as_of:%Y-%m-%d}" if as_of else f"{generated_at:%Y-%m-%d %H:%M %Z}"
        lines = [f"# {self.title}, {when}", ""]
        shown: dict[str, int | str] = {}
        self.prepare(connection)
        for section in self.sections:
            text, figure = section.render(connection, self.parameters(section, as_of))
            lines += [f"## {section.spec.title}", "", text, ""]
            label = "" if section.spec.show == "number" else "_rows"
            shown[f"{section.spec.query}{label}"] = figure
        return "\n".join(lines), shown

    def store(
        self,
        connection: duckdb.DuckDBPyConnection,
        text: str,
        generated_at: datetime,
        as_of: date | None,
    ) -> None:
        """Keep the version: a re-run of the same cadence and day replaces it."""
        identity = ({"cadence": self.cadence_id} if self.cadence else {}) | (
            {"as_of": as_of} if self.spec.as_of else {"generated_at": generated_at}
        )
        row = identity | {"generated_at": generated_at, "report_markdown": text}
        replace_where(
            connection,
            self.table,
            [tuple(row[column] for column in self.columns)],
            where=" and ".join(f"{column} = ${column}" for column in identity),
            params=identity,
            columns=self.columns,
            rules=TableRules(key=tuple(identity)),
        )


def load_reports(source: Project | None = None) -> list[Report]:
    source = source or project()
    found = []
    for domain in source.domains.values():
        for spec in domain.validated("reports", ReportSpec):
            if spec.for_each == "cadence":
                found += [Report(spec, domain, source, c) for c in cadences() if c.cron]
            else:
                found.append(Report(spec, domain, source))
    return found


def _days_scored(
    report: Report, context: dg.AssetExecutionContext, as_of: date
) -> tuple[date, date, dict[str, tuple[date, date]]]:
    """The days a hook scores: the days of the run's partitions that exist (founding date to
    yesterday) up to the as-of day, widened by the look-back to the days before them that late
    data (or a monthly table finished after the daily run) still changes; and each partition's
    days. (A hook's report is of a day, so partitioned.)"""
    assert report.partitions_def is not None
    start, end = days_written(context.partition_time_window)
    if report.lookback_days:
        widened = local_midnight(start.date() - timedelta(days=report.lookback_days), start.tzinfo)
        start = days_written(dg.TimeWindow(widened, end))[0]
    windows = {}
    for key in context.partition_keys:
        first, after = days_written(report.partitions_def.time_window_for_partition_key(key))
        windows[key] = (first.date(), after.date())
    return start.date(), min(end.date() - timedelta(days=1), as_of), windows


# A report of days (days_by_month) reading a table of complete months (monthly): the running
# month has no monthly partition yet, so a month's days read the months up to it that exist (the
# metrics there take the latest complete month). Without it, a backfill from the UI that holds
# the running month is refused ("depends on non-existent partitions").
_COMPLETE_MONTHS_SO_FAR = dg.TimeWindowPartitionMapping(
    start_offset=-1, end_offset=0, allow_nonexistent_upstream_partitions=True
)
# Any other pair: the upstream partitions overlapping the report's period, those that exist (a week
# of the running month reads the days_by_month tables; a monthly table has no such month yet).
_OVERLAPPING_PERIODS = dg.TimeWindowPartitionMapping(allow_nonexistent_upstream_partitions=True)

Upstream = Mapping[dg.AssetKey, dg.PartitionsDefinition | None]


def _report_dep(report: Report, key: dg.AssetKey, upstream: Upstream) -> dg.AssetKey | dg.AssetDep:
    """The dependency as Dagster should map its partitions (the same key by default)."""
    theirs = upstream.get(key)
    if report.partitions_def is None or theirs is None or theirs == report.partitions_def:
        return key
    if (report.partitions_def, theirs) == (DAYS_BY_MONTH, MONTHLY):
        return dg.AssetDep(key, partition_mapping=_COMPLETE_MONTHS_SO_FAR)
    return dg.AssetDep(key, partition_mapping=_OVERLAPPING_PERIODS)


def build_report_asset(report: Report, upstream: Upstream | None = None) -> dg.AssetsDefinition:
    """`upstream`: the assets a report may read (metrics and the other reports), with their
    partitioning."""
    upstream = upstream or {}
    check_specs = report.hook.check_specs(report.key) if report.hook else []
    period = report.cadence_id if report.cadence_id != "daily" else "month (one version a day)"
    kept = f"one partition per {period}; " if report.partitions_def else ""

    @warehouse_asset(
        key=report.key,
        description=f"{report.description} Read it in the `report` metadata ({kept}every version "
        f"is kept in {report.table}).",
        owner=report.owner,
        cadence=report.cadence_id,
        kinds=["report"],
        # a rebuild renders a report's newest period; its history is a backfill away
        tags={} if report.hook or not report.partitions_def else {REBUILD_TAG: NEWEST_PERIOD},
        deps=[_report_dep(report, key, upstream) for key in report.deps(list(upstream))],
        partitions_def=report.partitions_def,
        check_specs=check_specs or None,
        # a check may go unevaluated (the scorecard's on a metric with no data), and the UI may
        # run the checks alone
        subsettable=bool(check_specs),
        metadata={
            "dagster/table_name": report.table,
            "dagster/column_schema": report.column_schema,
        },
    )
    def report_asset(
        context: dg.AssetExecutionContext, warehouse: Warehouse
    ) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
        generated_at = datetime.now(load_settings().tz)
        with warehouse.get_connection() as connection:
            if report.hook and report.key not in context.selected_asset_keys:
                yield from _selected(context, report.key, report.hook.checks(connection))
                return
            if report.hook:
                yield _computed_and_rendered(report, report.hook, context, connection, warehouse)
                return
            if report.partitions_def is None:
                text, shown = report.render(connection, generated_at, None)
                report.store(connection, text, generated_at, None)
                yield dg.MaterializeResult(metadata=_shown(report, text, shown))
                return
            data_as_of = warehouse.run_as_of(connection)
            by_partition = {}
            for key in context.partition_keys:  # a backfill's range: one version per period
                as_of = report.period_as_of(key, data_as_of)
                text, shown = report.render(connection, generated_at, as_of)
                report.store(connection, text, generated_at, as_of)
                by_partition[key] = _shown(report, text, shown) | {"as_of": as_of.isoformat()}
        yield partitioned_result(context, by_partition, {}, {})

    return report_asset


def _shown(report: Report, text: str, shown: dict[str, int | str]) -> dict[str, Any]:
    return shown | {"report": dg.MetadataValue.md(text), "dagster/table_name": report.table}


def _computed_and_rendered(
    report: Report,
    hook: ReportHook,
    context: dg.AssetExecutionContext,
    connection: duckdb.DuckDBPyConnection,
    warehouse: Warehouse,
) -> dg.MaterializeResult:
    """A hook's report: its days computed (each partition's own figures), then rendered once, as
    of the newest day, on the newest partition."""
    first, last, windows = _days_scored(report, context, warehouse.run_as_of(connection))
    outcome = hook.compute(context, connection, first, last, windows)
    generated_at = datetime.now(load_settings().tz)
    text, shown = report.render(connection, generated_at, outcome.as_of)
    report.store(connection, text, generated_at, outcome.as_of)
    checks = _selected(context, report.key, outcome.checks)
    # the run's figures after the hook's own on the newest partition: the UI lists metadata in
    # order, and the hook's first entry is what the analyst comes for
    newest = dict(outcome.metadata) | shown | {"report": dg.MetadataValue.md(text)}
    newest.setdefault("dagster/table_name", report.table)  # the hook's table, when it names one
    newest |= outcome.run_facts
    return partitioned_result(context, outcome.by_partition, newest, {}, checks)


def _selected(
    context: dg.AssetExecutionContext, key: dg.AssetKey, checks: list[dg.AssetCheckResult]
) -> list[dg.AssetCheckResult]:
    """The results of the checks the run selected (the UI may run a subset)."""
    chosen = context.selected_asset_check_keys
    return [check for check in checks if dg.AssetCheckKey(key, check.check_name or "") in chosen]


def build_report_assets(
    source: Project | None = None, upstream: Upstream | None = None
) -> list[dg.AssetsDefinition]:
    """`upstream`: the metric assets, with their partitioning; a report may also read another."""
    reports = load_reports(source)
    readable = dict(upstream or {}) | {report.key: report.partitions_def for report in reports}
    return [build_report_asset(report, readable) for report in reports]
