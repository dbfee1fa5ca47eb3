"""Reports as declarations: a title, an owner, a cadence and sections, each a SQL file shown as a
table, a number or a picture, rendered to markdown the same way for every report.

A domain lists its reports in `assets/domains/<domain>/reports.yaml`; a section's query is
`sql/<domain>/reports/<report>/<query>.sql`, and the tables it reads (DuckDB's parse of it) are
the report's dependencies. Each report is one asset, `<domain>/<report>`, whose
markdown is on its page (`report` metadata) and, every version kept, in the table
`<domain>.<report>`. The fields are described in assets/domains/README.md.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Literal

import dagster as dg
import duckdb
import pandas as pd
from matplotlib.figure import Figure
from pydantic import Field, model_validator

from nexus_pipelines.metadata import cell_text, markdown_table, png_markdown
from nexus_pipelines.project import Declaration, Domain, Identifier, Project, project
from nexus_pipelines.settings import load_settings
from nexus_pipelines.sql_assets import ScheduledCadence
from nexus_pipelines.warehouse import (
    TableRules,
    Warehouse,
    replace_where,
    table_exists,
    tables_read,
    warehouse_asset,
)

REPORT_COLUMNS = {"generated_at": "timestamptz", "report_markdown": "varchar"}


class SectionSpec(Declaration):
    title: str
    query: Identifier
    show: Literal["table", "number", "picture"] = "table"
    unit: str = ""
    x: Identifier | None = None
    y: list[Identifier] = Field(default_factory=list)

    @model_validator(mode="after")
    def _picture_has_axes(self) -> SectionSpec:
        if self.show == "picture" and not (self.x and self.y):
            raise ValueError("a picture needs `x` (one column) and `y` (the columns drawn)")
        return self


class ReportSpec(Declaration):
    """One entry of reports.yaml."""

    name: Identifier
    title: str
    description: str
    owner: str
    cadence: ScheduledCadence
    sections: list[SectionSpec] = Field(min_length=1)


class Section:
    def __init__(self, spec: SectionSpec, path: Path) -> None:
        self.spec = spec
        self.sql = path.read_text(encoding="utf-8")
        self.reads = tables_read(self.sql, str(path))

    def _written(self, connection: duckdb.DuckDBPyConnection) -> bool:
        """Whether every table the section reads has been written (else it shows no rows)."""
        return all(table_exists(connection, *table.split(".")) for table in self.reads)

    def render(self, connection: duckdb.DuckDBPyConnection) -> str:
        if not self._written(connection):
            return markdown_table(pd.DataFrame())
        if self.spec.show == "number":  # the first cell, as DuckDB returns it (no float cast)
            row = connection.execute(self.sql).fetchone()
            value = cell_text(row[0]) if row else ""
            return f"**{value}** {self.spec.unit}".rstrip() if value else "_no data_"
        frame = connection.execute(self.sql).df()
        if self.spec.show == "table" or frame.empty:
            return markdown_table(frame)
        figure = Figure(figsize=(7, 3))
        axes = figure.subplots()
        for column in self.spec.y:
            axes.plot(frame[self.spec.x], frame[column], marker="o", label=column)
        axes.set_xlabel(self.spec.x)
        axes.legend()
        return png_markdown(figure, self.spec.title).value


class Report:
    """A declared report of one domain, ready to render."""

    def __init__(self, spec: ReportSpec, domain: Domain, source: Project) -> None:
        self.spec = spec
        self.domain = domain
        self.description = source.described(
            spec.description, f"{domain.declarations_path('reports')}: {spec.name}"
        )
        folder = domain.sql_dir / "reports" / spec.name
        self.sections = []
        for section in spec.sections:
            path = folder / f"{section.query}.sql"
            if not path.is_file():
                raise ValueError(
                    f"{domain.declarations_path('reports')}: report {spec.name!r}, section "
                    f"{section.title!r}: no query file {path}"
                )
            self.sections.append(Section(section, path))

    @property
    def key(self) -> dg.AssetKey:
        return dg.AssetKey([self.domain.name, self.spec.name])

    @property
    def table(self) -> str:
        return f"{self.domain.name}.{self.spec.name}"

    @property
    def deps(self) -> list[dg.AssetKey]:
        reads = {table for section in self.sections for table in section.reads}
        return [dg.AssetKey(table.split(".")) for table in sorted(reads)]

    def render(self, connection: duckdb.DuckDBPyConnection, generated_at: datetime) -> str:
        lines = [f"# {self.spec.title}, {generated_at:%Y-%m-%d %H:%M %Z}", ""]
        for section in self.sections:
            lines += [f"## {section.spec.title}", "", section.render(connection), ""]
        return "\n".join(lines)


def load_reports(source: Project | None = None) -> list[Report]:
    source = source or project()
    return [
        Report(spec, domain, source)
        for domain in source.domains.values()
        for spec in domain.validated("reports", ReportSpec)
    ]


def build_report_asset(report: Report) -> dg.AssetsDefinition:
    @warehouse_asset(
        key=report.key,
        description=f"{report.description} Read it in the `report` metadata; every version is "
        f"kept in {report.table}.",
        owner=report.spec.owner,
        cadence=report.spec.cadence,
        deps=report.deps,
    )
    def report_asset(warehouse: Warehouse) -> dg.MaterializeResult:
        generated_at = datetime.now(load_settings().tz)
        with warehouse.get_connection() as connection:
            text = report.render(connection, generated_at)
            # every version is kept, one row per generation
            replace_where(
                connection,
                report.table,
                [(generated_at, text)],
                where="generated_at = $generated_at",
                params={"generated_at": generated_at},
                columns=REPORT_COLUMNS,
                rules=TableRules(key=("generated_at",)),
            )
        return dg.MaterializeResult(
            metadata={"report": dg.MetadataValue.md(text), "dagster/table_name": report.table}
        )

    return report_asset


def build_report_assets(source: Project | None = None) -> list[dg.AssetsDefinition]:
    return [build_report_asset(report) for report in load_reports(source)]
