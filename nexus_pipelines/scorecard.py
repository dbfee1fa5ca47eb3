"""The playbook's success-metrics scorecard: each metric's value, target, status and owner.

A metric's value comes from `sql/reporting/scorecard/<metric id>.sql`, which returns one row with a
`value` column as of `$as_of` (a DATE, inclusive). A metric without a query yet, or whose source
tables are not materialised, or whose query returns NULL, has status `no data`.
"""

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

import dagster as dg
import duckdb
import pandas as pd

from nexus_pipelines.metadata import table_metadata
from nexus_pipelines.playbook import SuccessMetric, success_metrics
from nexus_pipelines.project import project
from nexus_pipelines.reports import ReportHook, build_report_asset, load_reports
from nexus_pipelines.settings import SQL_DIR
from nexus_pipelines.warehouse import (
    TableRules,
    replace_where,
    tables_read,
)

SCORECARD_SQL_DIR = SQL_DIR / "reporting" / "scorecard"
SCORECARD_TABLE = "reporting.scorecard"
SCORECARD_KEY = dg.AssetKey(["reporting", "scorecard"])
MET, MISSED, NO_DATA = "met", "missed", "no data"
SCORECARD_COLUMNS = {  # name: (DuckDB type, meaning shown in the UI)
    "as_of": ("date", "Last day of data the values cover (inclusive)."),
    "metric": ("varchar", "Metric id, as in the metric definitions."),
    "name": ("varchar", "The playbook's name for the metric."),
    "category": ("varchar", "The playbook's category."),
    "value": ("double", "The metric's value; empty when there is no data."),
    "comparator": ("varchar", "How the value is held against the target."),
    "target": ("double", "The playbook's target."),
    "unit": ("varchar", "Unit of value and target."),
    "status": ("varchar", "met, missed or no data."),
    "owner": ("varchar", "The playbook role that owns the metric."),
    "note": ("varchar", "Why there is no data, when there is none."),
}


@dataclass(frozen=True)
class MetricStatus:
    metric: str
    value: float | None
    target: float
    status: str
    owner: str
    as_of: str
    note: str = ""

    def public(self) -> dict[str, Any]:
        """The `nexus scorecard --json` shape."""
        record = asdict(self)
        record.pop("note")
        return record


def _measure(
    connection: duckdb.DuckDBPyConnection, metric: SuccessMetric, as_of: date
) -> tuple[float | None, str]:
    query_path = SCORECARD_SQL_DIR / f"{metric.id}.sql"
    if not query_path.is_file():
        return None, "not computed yet"
    sql = query_path.read_text(encoding="utf-8")
    where = f"sql/reporting/scorecard/{metric.id}.sql"
    parameters = project().query_parameters(sql, {"as_of": as_of}, where)
    try:
        row = connection.execute(sql, parameters).fetchone()
    except duckdb.CatalogException as error:
        return None, f"source not materialised: {str(error).splitlines()[0]}"
    value = row[0] if row else None
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None, "no qualifying data in the period"
    return float(value), ""


def compute_scorecard(connection: duckdb.DuckDBPyConnection, as_of: date) -> list[MetricStatus]:
    rows = []
    for metric in success_metrics():
        value, note = _measure(connection, metric, as_of)
        status = NO_DATA if value is None else MET if metric.is_met(value) else MISSED
        rows.append(
            MetricStatus(
                metric=metric.id,
                value=value,
                target=metric.target,
                status=status,
                owner=metric.owner,
                as_of=as_of.isoformat(),
                note=note,
            )
        )
    return rows


def render_text(rows: list[MetricStatus]) -> str:
    """The terminal scorecard: one line per metric, readable at a glance."""
    metrics = {metric.id: metric for metric in success_metrics()}
    lines = [
        f"Scorecard as of {rows[0].as_of}" if rows else "Scorecard",
        f"{'metric':<26} {'value':>10} {'target':>9}  {'status':<8} owner",
    ]
    for row in rows:
        value = "-" if row.value is None else f"{row.value:,.2f}"
        lines.append(
            f"{row.metric:<26} {value:>10} {metrics[row.metric].target_text:>9}  "
            f"{row.status:<8} {row.owner}"
        )
    lines.append(
        ", ".join(
            f"{sum(row.status == status for row in rows)} {status}"
            for status in (MET, MISSED, NO_DATA)
        )
    )
    return "\n".join(lines)


def scorecard_frame(rows: list[MetricStatus]) -> pd.DataFrame:
    metrics = {metric.id: metric for metric in success_metrics()}
    return pd.DataFrame(
        [
            {
                "as_of": date.fromisoformat(row.as_of),
                "metric": row.metric,
                "name": metrics[row.metric].name,
                "category": metrics[row.metric].category,
                "value": row.value,
                "comparator": metrics[row.metric].comparator,
                "target": row.target,
                "unit": metrics[row.metric].unit,
                "status": row.status,
                "owner": row.owner,
                "note": row.note,
            }
            for row in rows
        ]
    ).astype({"value": "float64"})  # all "no data" would otherwise be a column of None


def store_scorecard(connection: duckdb.DuckDBPyConnection, rows: list[MetricStatus]) -> None:
    """Keep one snapshot per as-of date: re-running a day replaces that day's snapshot."""
    replace_where(
        connection,
        SCORECARD_TABLE,
        scorecard_frame(rows),
        where="as_of = $as_of",
        params={"as_of": date.fromisoformat(rows[0].as_of)},
        columns={name: kind for name, (kind, _) in SCORECARD_COLUMNS.items()},
        rules=TableRules(key=("as_of", "metric")),
    )


def _verdict(metric: SuccessMetric, row: MetricStatus) -> str:
    """One line the checks tab shows, so that 'no data' never reads as 'missed'."""
    if row.value is None:
        return f"No data ({row.note}): not evaluated against {metric.target_text} {metric.unit}"
    return f"{row.status}: {row.value:,.2f} against {metric.target_text} {metric.unit}"


def _target_check_name(metric: SuccessMetric) -> str:
    return f"target_{metric.id}"


def scorecard_sources(candidates: Sequence[dg.AssetKey]) -> list[dg.AssetKey]:
    """The assets whose tables the scorecard queries read, so a run computes them first."""
    read = {
        table
        for path in SCORECARD_SQL_DIR.glob("*.sql")
        for table in tables_read(path.read_text(encoding="utf-8"), str(path))
    }
    return [key for key in candidates if ".".join(key.path) in read]


def target_checks(key: dg.AssetKey) -> list[dg.AssetCheckSpec]:
    return [
        dg.AssetCheckSpec(
            _target_check_name(metric),
            asset=key,
            description=f"{metric.name} {metric.target_text} {metric.unit} "
            f"(owner: {metric.owner}). Fails when missed or when there is no data.",
        )
        for metric in success_metrics()
    ]


def score(
    context: dg.AssetExecutionContext, connection: duckdb.DuckDBPyConnection, as_of: date
) -> tuple[dict[str, Any], list[dg.AssetCheckResult]]:
    """Measure every metric as of the day, keep that day's snapshot, and check each target."""
    rows = compute_scorecard(connection, as_of)
    store_scorecard(connection, rows)
    metadata = table_metadata(
        connection,
        SCORECARD_TABLE,
        descriptions={name: meaning for name, (_, meaning) in SCORECARD_COLUMNS.items()},
    )
    metadata |= {
        f"value_{row.metric}": round(row.value, 4) for row in rows if row.value is not None
    }
    metadata |= {
        "metrics_met": sum(row.status == MET for row in rows),
        "metrics_missed": sum(row.status == MISSED for row in rows),
        "metrics_no_data": sum(row.status == NO_DATA for row in rows),
    }
    context.log.info(
        f"Scorecard as of {as_of}: {metadata['metrics_met']} met, "
        f"{metadata['metrics_missed']} missed, {metadata['metrics_no_data']} no data"
    )
    checks = []
    for metric, row in zip(success_metrics(), rows, strict=True):
        value = round(row.value, 4) if row.value is not None else dg.MetadataValue.null()
        checks.append(
            dg.AssetCheckResult(
                check_name=_target_check_name(metric),
                passed=row.status == MET,
                severity=dg.AssetCheckSeverity.WARN,
                description=_verdict(metric, row),
                metadata={
                    "status": row.status,
                    "value": value,
                    "target": f"{metric.target_text} {metric.unit}",
                    "note": row.note or "-",
                },
            )
        )
    return metadata, checks


SCORECARD_HOOK = ReportHook(check_specs=target_checks, sources=scorecard_sources, compute=score)


def build_scorecard_asset(upstream: Sequence[dg.AssetKey] = ()) -> dg.AssetsDefinition:
    """The scorecard: the reporting domain's declared report whose hook is SCORECARD_HOOK."""
    [report] = [r for r in load_reports() if r.key == SCORECARD_KEY]
    return build_report_asset(report, upstream)
