"""`nexus report`: the declared reports listed, and a stored version of one written out as
markdown (as stored) or as one self-contained HTML file (its pictures stay embedded as data URIs),
so a report can be mailed or archived outside the UI. An export reads only what the report's
asset stored, never the clock: the same warehouse and as-of day give the same bytes."""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from markdown_it import MarkdownIt

from nexus_pipelines.settings import load_settings
from nexus_pipelines.warehouse import table_exists

if TYPE_CHECKING:
    import duckdb

    from nexus_pipelines.reports import Report

# Days listed on either side of an as-of day that has no stored version.
NEARBY_DAYS = 3

_STYLE = """
body { font-family: system-ui, sans-serif; line-height: 1.45; color: #222; margin: 2rem auto;
       max-width: 60rem; padding: 0 1rem; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.2rem; margin-top: 2rem; }
table { border-collapse: collapse; margin: 0.5rem 0; font-size: 0.9rem; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.5rem; text-align: left; }
th { background: #f3f3f3; }
img { max-width: 100%; }
footer { margin-top: 2rem; color: #666; font-size: 0.85rem; }
""".strip()


class ExportError(Exception):
    """Why a report cannot be exported, in one line for the terminal."""


@dataclass(frozen=True)
class StoredVersion:
    """One stored version of a report: the day it is of, when it was rendered, its markdown."""

    report: Report
    day: date
    generated_at: datetime
    markdown: str


def listing(reports: list[Report]) -> str:
    """One line per report, aligned: what `nexus report --list` prints."""
    from nexus_pipelines.partitions import partitioning_name  # cut from the settings at import

    rows = [("NAME", "ASSET KEY", "CADENCE", "PARTITIONS", "STORE", "OWNER")]
    rows += [
        (
            report.name,
            report.key.to_user_string(),
            report.cadence_id,
            partitioning_name(report.partitions_def),
            report.table,
            ", ".join(report.owner),
        )
        for report in sorted(reports, key=lambda r: r.name)
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    return "\n".join(
        "  ".join([*(cell.ljust(width) for cell, width in zip(row, widths, strict=False)), row[-1]])
        for row in rows
    )


def find_report(reports: list[Report], name: str) -> Report:
    for report in reports:
        if report.name == name:
            return report
    names = ", ".join(sorted(report.name for report in reports))
    raise ExportError(f"no report named {name!r}; the reports are: {names}")


def _versions(connection: duckdb.DuckDBPyConnection, report: Report) -> list[tuple[date, datetime]]:
    """Every stored version's day and generation instant, oldest first. A report of a day keeps
    one version per as-of day; any other keeps one per generation, dated by the day it was
    rendered in the reporting timezone."""
    schema, table = report.table.split(".")
    if not table_exists(connection, schema, table):
        raise ExportError(
            f"no stored version of {report.name}: {report.table} does not exist; materialise "
            f"{report.key.to_user_string()} first"
        )
    day = "as_of" if report.spec.as_of else "null"
    where = "where cadence = $cadence" if report.cadence else ""
    rows = connection.execute(
        f"select {day} as day, generated_at from {report.table} {where} order by generated_at",
        {"cadence": report.cadence_id} if report.cadence else {},
    ).fetchall()
    tz = load_settings().tz
    return sorted((found or at.astimezone(tz).date(), at) for found, at in rows)


def stored_version(
    connection: duckdb.DuckDBPyConnection, report: Report, as_of: date | None
) -> StoredVersion:
    """The version of `as_of` (the newest of that day), or the newest stored."""
    versions = _versions(connection, report)
    if not versions:
        raise ExportError(
            f"no stored version of {report.name} in {report.table}; materialise "
            f"{report.key.to_user_string()} first"
        )
    chosen = [v for v in versions if v[0] == as_of] if as_of else versions
    if not chosen:
        days = sorted({day for day, _ in versions})
        before = [d.isoformat() for d in days if d < as_of][-NEARBY_DAYS:]
        after = [d.isoformat() for d in days if d > as_of][:NEARBY_DAYS]
        raise ExportError(
            f"no stored version of {report.name} as of {as_of}; stored days nearby: "
            f"{', '.join(before + after)} ({len(days)} stored, {days[0]} .. {days[-1]})"
        )
    day, generated_at = chosen[-1]
    where = ["generated_at = $generated_at"] + (["cadence = $cadence"] if report.cadence else [])
    params = {"generated_at": generated_at} | (
        {"cadence": report.cadence_id} if report.cadence else {}
    )
    (markdown,) = connection.execute(
        f"select report_markdown from {report.table} where {' and '.join(where)}", params
    ).fetchone()
    return StoredVersion(report, day, generated_at, markdown)


def to_html(version: StoredVersion) -> str:
    """One self-contained page: the markdown rendered by CommonMark with pipe tables, raw HTML
    in it escaped (`html: False`), pictures left as the data URIs they are stored as."""
    renderer = MarkdownIt("commonmark", {"html": False}).enable("table")
    heading = next(
        (line[2:] for line in version.markdown.splitlines() if line.startswith("# ")),
        version.report.title,
    )
    stored = version.generated_at.astimezone(load_settings().tz).isoformat()
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            f"<title>{html.escape(heading)}</title>",
            f"<style>\n{_STYLE}\n</style>",
            "</head>",
            "<body>",
            "<main>",
            renderer.render(version.markdown).rstrip("\n"),
            "</main>",
            "<footer>"
            + html.escape(
                f"{version.report.key.to_user_string()}, as of {version.day}: the version stored "
                f"in {version.report.table}, rendered at {stored}."
            )
            + "</footer>",
            "</body>",
            "</html>",
            "",
        ]
    )


def export(version: StoredVersion, form: str) -> str:
    return version.markdown if form == "md" else to_html(version)
