"""The playbook's success-metrics scorecard: each metric's value, target, status and owner, for
every day, so that each metric has a history.

A metric's values come from `sql/reporting/scorecard/<metric id>.sql`, which returns one row per
day `as_of` of `[$first_day, $last_day]` (DATEs, inclusive) with a `value` column: one query
scores a month (or two years) of days, not one query per day. A metric without a query yet, or
whose source tables are not materialised, or with no value on a day, has status `no data` that
day: a state, not a failure, so its target check is not evaluated (Dagster records it skipped)
rather than failed; a missed target is a failed WARN check.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Any

import dagster as dg
import duckdb
import pandas as pd

from nexus_pipelines.metadata import column_schema
from nexus_pipelines.playbook import SuccessMetric, success_metrics
from nexus_pipelines.project import project
from nexus_pipelines.reports import (
    HookOutcome,
    ReportHook,
    Upstream,
    build_report_asset,
    load_reports,
)
from nexus_pipelines.settings import SQL_DIR, load_settings
from nexus_pipelines.warehouse import (
    TableRules,
    count_value,
    replace_where,
    table_exists,
    tables_read,
)

SCORECARD_SQL_DIR = SQL_DIR / "reporting" / "scorecard"
SCORECARD_TABLE = "reporting.scorecard"
SCORECARD_KEY = dg.AssetKey(["reporting", "scorecard"])
MET, MISSED, NO_DATA = "met", "missed", "no data"
# The period the front page's change column compares with: a week, so that weekday effects on
# the trailing windows cancel out.
CHANGE_DAYS = 7
CHANGE_LABEL = f"change vs {CHANGE_DAYS} days before"
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


def _days(first_day: date, last_day: date) -> list[date]:
    return [first_day + timedelta(days=n) for n in range((last_day - first_day).days + 1)]


def _measure(
    connection: duckdb.DuckDBPyConnection, metric: SuccessMetric, first_day: date, last_day: date
) -> tuple[dict[date, float], str]:
    """The metric's value on each day that has one, and why the other days have none."""
    query_path = SCORECARD_SQL_DIR / f"{metric.id}.sql"
    if not query_path.is_file():
        return {}, "not computed yet"
    sql = query_path.read_text(encoding="utf-8")
    where = f"sql/reporting/scorecard/{metric.id}.sql"
    offered = {"first_day": first_day, "last_day": last_day}
    try:
        rows = connection.execute(sql, project().query_parameters(sql, offered, where)).fetchall()
    except duckdb.CatalogException as error:
        return {}, f"source not materialised: {str(error).splitlines()[0]}"
    days = [row[0] for row in rows]
    if len(set(days)) != len(days) or not all(first_day <= day <= last_day for day in days):
        raise ValueError(f"{where}: must return each day of [{first_day}, {last_day}] at most once")
    values = {
        day: float(value)
        for day, value in rows
        if value is not None and not (isinstance(value, float) and math.isnan(value))
    }
    return values, "no qualifying data in the period"


def compute_days(
    connection: duckdb.DuckDBPyConnection, first_day: date, last_day: date
) -> list[MetricStatus]:
    """Every metric on every day of the range, day by day in the playbook's order."""
    metrics = success_metrics()
    measured = {metric.id: _measure(connection, metric, first_day, last_day) for metric in metrics}
    rows = []
    for day in _days(first_day, last_day):
        for metric in metrics:
            values, note = measured[metric.id]
            value = values.get(day)
            status = NO_DATA if value is None else MET if metric.is_met(value) else MISSED
            rows.append(
                MetricStatus(
                    metric=metric.id,
                    value=value,
                    target=metric.target,
                    status=status,
                    owner=metric.owner,
                    as_of=day.isoformat(),
                    note=note if value is None else "",
                )
            )
    return rows


def compute_scorecard(connection: duckdb.DuckDBPyConnection, as_of: date) -> list[MetricStatus]:
    """The scorecard of one day (what `nexus scorecard` prints)."""
    return compute_days(connection, as_of, as_of)


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
        ],
        columns=list(SCORECARD_COLUMNS),
    ).astype({"value": "float64"})  # all "no data" would otherwise be a column of None


def store_days(
    connection: duckdb.DuckDBPyConnection,
    rows: list[MetricStatus],
    first_day: date,
    last_day: date,
) -> int:
    """Replace the range's rows: re-scoring days (a re-run, a backfill) leaves what a first run
    leaves."""
    return replace_where(
        connection,
        SCORECARD_TABLE,
        scorecard_frame(rows),
        where="as_of >= $first_day and as_of <= $last_day",
        params={"first_day": first_day, "last_day": last_day},
        columns={name: kind for name, (kind, _) in SCORECARD_COLUMNS.items()},
        rules=TableRules(key=("as_of", "metric")),
    )


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
            f"(owner: {metric.owner}), on the scorecard's latest day. Fails (WARN) when missed; "
            "not evaluated (skipped) when there is no data, which is not a failure.",
        )
        for metric in success_metrics()
    ]


def _unit_text(unit: str) -> str:
    """How a unit follows a number: `%` and words after a space, a ratio as `x`, the currency
    (company.yaml) as its code."""
    if unit == "ratio":
        return "x"
    if unit == "score":
        return ""
    if unit == "currency":
        return f" {load_settings().currency}"
    return f" {unit}"


def value_text(value: float | None, unit: str) -> str:
    """A value as the front page shows it: thousands separators, two decimals, its unit."""
    return "-" if value is None else f"{value:,.2f}{_unit_text(unit)}"


def change_text(value: float | None, before: float | None, unit: str) -> str:
    """The change against the earlier value, signed, in points for a percentage."""
    if value is None or before is None:
        return "-"
    suffix = " pts" if unit.startswith("%") else _unit_text(unit)
    return f"{value - before:+,.2f}{suffix}"


def _stored(connection: duckdb.DuckDBPyConnection, as_of: date) -> dict[str, tuple]:
    """The stored rows of a day, by metric: (value, status, note)."""
    rows = connection.execute(
        f"select metric, value, status, note from {SCORECARD_TABLE} where as_of = $as_of",
        {"as_of": as_of},
    ).fetchall()
    return {metric: (value, status, note) for metric, value, status, note in rows}


def front_page(connection: duckdb.DuckDBPyConnection, as_of: date) -> dg.TableMetadataValue:
    """The day's scorecard as the table the asset page shows inline: what an analyst comes for."""
    today, before = _stored(connection, as_of), _stored(connection, as_of - timedelta(CHANGE_DAYS))
    columns = {
        "metric": "The playbook's name for the metric.",
        "value": "The value on the day, with its unit; '-' with the reason when there is no data.",
        "target": "The playbook's target (assets/playbook/success_metrics.yaml).",
        "status": "met, missed (a failed WARN check) or no data (the check is not evaluated).",
        "owner": "The playbook role that owns the metric.",
        CHANGE_LABEL: f"The value minus its value {CHANGE_DAYS} days before (percentage points "
        "for a percentage); '-' when either day has no data.",
    }
    records = []
    for metric in success_metrics():
        value, status, note = today.get(metric.id, (None, NO_DATA, "not scored"))
        shown = value_text(value, metric.unit) if value is not None else f"- ({note})"
        records.append(
            dg.TableRecord(
                {
                    "metric": metric.name,
                    "value": shown,
                    "target": f"{metric.target_text}{_unit_text(metric.unit)}",
                    "status": status,
                    "owner": metric.owner,
                    CHANGE_LABEL: change_text(
                        value, before.get(metric.id, (None,))[0], metric.unit
                    ),
                }
            )
        )
    schema = dg.TableSchema(
        columns=[
            dg.TableColumn(name, "string", description=meaning) for name, meaning in columns.items()
        ]
    )
    return dg.MetadataValue.table(records=records, schema=schema)


def _check_results(connection: duckdb.DuckDBPyConnection, as_of: date) -> list[dg.AssetCheckResult]:
    """One result per metric with a value on the day: passed when met, a failed WARN check when
    missed. A metric with no data gets none, so Dagster records its check as skipped."""
    stored = _stored(connection, as_of)
    results = []
    for metric in success_metrics():
        value, status, _ = stored.get(metric.id, (None, NO_DATA, ""))
        if value is None:
            continue
        results.append(
            dg.AssetCheckResult(
                check_name=_target_check_name(metric),
                passed=status == MET,
                severity=dg.AssetCheckSeverity.WARN,
                description=f"{status} on {as_of}: {value_text(value, metric.unit)} against "
                f"{metric.target_text}{_unit_text(metric.unit)}",
                metadata={
                    "status": status,
                    "value": round(value, 4),
                    "target": metric.target,
                    "as_of": as_of.isoformat(),
                },
            )
        )
    return results


def _latest_day(connection: duckdb.DuckDBPyConnection) -> date | None:
    if not table_exists(connection, *SCORECARD_TABLE.split(".")):
        return None
    found = connection.execute(f"select max(as_of) from {SCORECARD_TABLE}").fetchone()
    return found[0] if found else None


def _month_facts(
    connection: duckdb.DuckDBPyConnection, windows: Mapping[str, tuple[date, date]]
) -> dict[str, dict[str, Any]]:
    """Each partition's own figures: its rows, and each metric's value on its last scored day
    (numeric, so the UI plots a point per month and metric; none when there is no data)."""
    facts: dict[str, dict[str, Any]] = {}
    for key, (first_day, end) in windows.items():
        scope = {"first_day": first_day, "end": end}
        rows = count_value(
            connection,
            f"select count(*) from {SCORECARD_TABLE} where as_of >= $first_day and as_of < $end",
            scope,
        )
        found = connection.execute(
            f"select max(as_of) from {SCORECARD_TABLE} where as_of >= $first_day and as_of < $end",
            scope,
        ).fetchone()
        last = found[0] if found else None
        stored = _stored(connection, last) if last else {}
        facts[key] = {
            "dagster/row_count": rows,
            "as_of": last.isoformat() if last else dg.MetadataValue.null(),
            **{
                metric.id: (
                    float(stored[metric.id][0])
                    if metric.id in stored and stored[metric.id][0] is not None
                    else dg.MetadataValue.null()
                )
                for metric in success_metrics()
            },
        }
    return facts


def score(
    context: dg.AssetExecutionContext,
    connection: duckdb.DuckDBPyConnection,
    first_day: date,
    last_day: date,
    windows: Mapping[str, tuple[date, date]],
) -> HookOutcome:
    """Score every metric on every day of the range, keep the rows, and give the UI the latest
    day's front page and each month's own figures; the checks hold the latest day's values."""
    written = 0
    if first_day <= last_day:
        rows = compute_days(connection, first_day, last_day)
        written = store_days(connection, rows, first_day, last_day)
        last = [row for row in rows if row.as_of == last_day.isoformat()]
        context.log.info(
            f"Scorecard: {written} rows for {first_day} .. {last_day}; on {last_day}: "
            + ", ".join(f"{sum(r.status == s for r in last)} {s}" for s in (MET, MISSED, NO_DATA))
        )
    latest = _latest_day(connection)
    if latest is None:
        return HookOutcome(as_of=last_day, metadata={"dagster/row_count": written})
    # the front page first: the UI lists metadata in this order, and shows a table inline
    newest = {
        "scorecard": front_page(connection, latest),
        "latest_day": latest.isoformat(),
        "dagster/table_name": SCORECARD_TABLE,
        "dagster/column_schema": column_schema(
            connection,
            SCORECARD_TABLE,
            {name: meaning for name, (_, meaning) in SCORECARD_COLUMNS.items()},
        ),
    }
    return HookOutcome(
        as_of=latest,
        metadata=newest,
        by_partition=_month_facts(connection, windows),
        checks=_check_results(connection, latest),
        run_facts={"run_rows_written": written, "run_window": f"[{first_day}, {last_day}]"},
    )


def checks_only(connection: duckdb.DuckDBPyConnection) -> list[dg.AssetCheckResult]:
    """The target checks on the stored latest day, for a run that selects only the checks."""
    latest = _latest_day(connection)
    return _check_results(connection, latest) if latest else []


SCORECARD_HOOK = ReportHook(
    check_specs=target_checks, sources=scorecard_sources, compute=score, checks=checks_only
)


def build_scorecard_asset(upstream: Upstream | None = None) -> dg.AssetsDefinition:
    """The scorecard: the reporting domain's declared report whose hook is SCORECARD_HOOK."""
    [report] = [r for r in load_reports() if r.key == SCORECARD_KEY]
    return build_report_asset(report, upstream)
