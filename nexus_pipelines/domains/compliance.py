"""Compliance: the controls of the monthly compliance check as running Dagster asset checks.

The controls are data (assets/playbook/compliance_controls.yaml). `compliance.controls` writes
them as a table the facts SQL joins (thresholds, SLAs, grace periods), so a changed threshold
needs no code. Each control is an asset check on the facts table of its area (one row per record
evaluated, per month): its severity, threshold and measured rate, and the failing records' ids
as evidence, for the newest month the run wrote.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

import dagster as dg
import duckdb

from nexus_pipelines.contract import validate_identifier
from nexus_pipelines.erasure import ensure_erasure_tables
from nexus_pipelines.metadata import table_metadata
from nexus_pipelines.playbook import PLAYBOOK_DIR
from nexus_pipelines.project import Project
from nexus_pipelines.settings import load_yaml
from nexus_pipelines.sql_assets import CheckHook, SqlAssetDeclaration, WrittenRows
from nexus_pipelines.warehouse import TableRules, Warehouse, replace_where, warehouse_asset

CONTROLS_FILE = PLAYBOOK_DIR / "compliance_controls.yaml"
CONTROLS_KEY = dg.AssetKey(["compliance", "controls"])
CONTROLS_TABLE = "compliance.controls"
SEVERITIES = ("critical", "high", "medium", "low")
# Failing record ids named in a check's metadata: enough to open the records, not a dump.
EVIDENCE_IDS = 20


@dataclass(frozen=True)
class Control:
    id: str
    area: str
    owner: str
    severity: Literal["error", "warn"]
    name: str
    threshold_pct: float | None
    max_count: int | None
    sla_days: Mapping[str, int]
    new_hire_grace_days: int | None
    review_months: int | None

    def passes(self, evaluated: int, failing: int) -> bool:
        """A count control passes at most `max_count` failures; a rate one at its threshold."""
        if self.max_count is not None:
            return failing <= self.max_count
        return evaluated == 0 or 100.0 * (evaluated - failing) / evaluated >= self.threshold_pct


@cache
def load_controls() -> tuple[Control, ...]:
    """The controls file, validated: one threshold kind per control, every SLA severity."""
    controls = []
    for raw in load_yaml(CONTROLS_FILE)["controls"]:
        where = f"{CONTROLS_FILE.name}: {raw.get('id')}"
        control = Control(
            id=validate_identifier(raw["id"], where),
            area=raw["area"],
            owner=raw["owner"],
            severity=raw["severity"],
            name=raw["name"],
            threshold_pct=raw.get("threshold_pct"),
            max_count=raw.get("max_count"),
            sla_days=raw.get("sla_days", {}),
            new_hire_grace_days=raw.get("new_hire_grace_days"),
            review_months=raw.get("review_months"),
        )
        if (control.threshold_pct is None) == (control.max_count is None):
            raise ValueError(f"{where}: give exactly one of threshold_pct and max_count")
        if control.severity not in ("error", "warn"):
            raise ValueError(f"{where}: severity is error or warn, not {control.severity!r}")
        if control.sla_days and set(control.sla_days) != set(SEVERITIES):
            raise ValueError(f"{where}: sla_days needs {', '.join(SEVERITIES)}")
        controls.append(control)
    return tuple(controls)


CONTROLS_COLUMNS = {
    "control_id": "VARCHAR",
    "area": "VARCHAR",
    "name": "VARCHAR",
    "owner": "VARCHAR",
    "severity": "VARCHAR",
    "threshold_pct": "DOUBLE",
    "max_count": "INTEGER",
    "sla_critical_days": "INTEGER",
    "sla_high_days": "INTEGER",
    "sla_medium_days": "INTEGER",
    "sla_low_days": "INTEGER",
    "new_hire_grace_days": "INTEGER",
    "review_months": "INTEGER",
}
CONTROLS_DESCRIPTIONS = {
    "control_id": "Control identifier (assets/playbook/compliance_controls.yaml).",
    "area": "Control area (Privacy, Security, Audit readiness, Regulatory).",
    "name": "What the control requires.",
    "owner": "Playbook role answering for the control.",
    "severity": "Severity of its asset check when it fails: error or warn.",
    "threshold_pct": "Passing / evaluated x 100 a rate control needs (percent); NULL for a count.",
    "max_count": "Most failing records a count control allows; NULL for a rate control.",
    "sla_critical_days": "Days to remediate a critical vulnerability (vulnerability SLA).",
    "sla_high_days": "Days to remediate a high vulnerability.",
    "sla_medium_days": "Days to remediate a medium vulnerability.",
    "sla_low_days": "Days to remediate a low vulnerability.",
    "new_hire_grace_days": "Days a joiner (or a new policy version) has to acknowledge a policy.",
    "review_months": "Months within which a controlled document must be reviewed.",
}


def _control_row(control: Control) -> tuple[Any, ...]:
    sla = [control.sla_days.get(severity) for severity in SEVERITIES]
    return (
        control.id,
        control.area,
        control.name,
        control.owner,
        control.severity,
        control.threshold_pct,
        control.max_count,
        *sla,
        control.new_hire_grace_days,
        control.review_months,
    )


def build_controls_asset() -> dg.AssetsDefinition:
    """The controls file as a table: the facts and results SQL read thresholds from it."""
    controls = load_controls()

    @warehouse_asset(
        key=CONTROLS_KEY,
        description=(
            "The compliance controls, one row per control of "
            "assets/playbook/compliance_controls.yaml (validated when the code location loads): "
            "area, owner, check severity, the threshold (a rate in percent, or the most failing "
            "records a count control allows) and the limits the facts apply (vulnerability "
            "SLAs, the policy acknowledgement grace, the document review interval). Also "
            "creates the erasure audit log (ingest.erasure_log) when a warehouse lacks it, so "
            "erasures_executed reads none rather than failing."
        ),
        owner="Legal Compliance Checker",
        cadence="monthly",
        kinds=["python"],
        metadata={"controls_file": str(CONTROLS_FILE)},
    )
    def compliance_controls(warehouse: Warehouse) -> dg.MaterializeResult:
        with warehouse.get_connection() as connection:
            # erasures_executed reads the erasure audit log, which only ingestion and `nexus
            # erase` create: a warehouse not ingested into since erasure existed lacks it, and
            # the monthly run (ingestion aside) must read it as "none executed", not fail.
            ensure_erasure_tables(connection)
            replace_where(
                connection,
                CONTROLS_TABLE,
                [_control_row(control) for control in controls],
                columns=CONTROLS_COLUMNS,
                rules=TableRules(key=("control_id",)),
            )
            metadata = table_metadata(
                connection,
                CONTROLS_TABLE,
                preview_sql=f"select * from {CONTROLS_TABLE} order by area, control_id",
                descriptions=CONTROLS_DESCRIPTIONS,
            )
        return dg.MaterializeResult(metadata=metadata)

    return compliance_controls


def build_assets(source: Project) -> list[dg.AssetsDefinition]:
    return [build_controls_asset()]


def control_check(control: Control) -> CheckHook:
    """The asset check of one control, on the newest month the run wrote of its facts."""

    def evaluate(
        connection: duckdb.DuckDBPyConnection,
        declaration: SqlAssetDeclaration,
        written: WrittenRows,
        options: Mapping[str, Any],
    ) -> dg.AssetCheckResult:
        table = declaration.qualified_name
        params = written.params | {"control_id": control.id}
        rows = connection.execute(
            f"with written as (select * from {table} where {written.scope}) "
            "select period_month, record_id, passed, reason from written "
            "where control_id = $control_id "
            "and period_month = (select max(period_month) from written) "
            "order by passed, record_id",
            params,
        ).fetchall()
        failing = [row for row in rows if not row[2]]
        evaluated = len(rows)
        rate = 100.0 * (evaluated - len(failing)) / evaluated if evaluated else None
        month = rows[0][0].isoformat() if rows else "none"
        threshold = (
            f"at most {control.max_count} failing"
            if control.max_count is not None
            else f"{control.threshold_pct:g} %"
        )
        return dg.AssetCheckResult(
            check_name=control.id,
            passed=control.passes(evaluated, len(failing)),
            severity=dg.AssetCheckSeverity.ERROR
            if control.severity == "error"
            else dg.AssetCheckSeverity.WARN,
            metadata={
                "period_month": month,
                "area": control.area,
                "owner": control.owner,
                "threshold": threshold,
                "evaluated": evaluated,
                "failing": len(failing),
                "rate_pct": dg.MetadataValue.float(round(rate, 2)) if rate is not None else None,
                "failing_record_ids": ", ".join(row[1] for row in failing[:EVIDENCE_IDS]) or "none",
                "failing_reasons": "; ".join(
                    f"{row[1]}: {row[3]}" for row in failing[:EVIDENCE_IDS]
                )
                or "none",
            },
        )

    return CheckHook(
        f"{control.name} ({control.area}; owner {control.owner}; threshold "
        + (
            f"at most {control.max_count} failing records"
            if control.max_count is not None
            else f"{control.threshold_pct:g} % of the records evaluated"
        )
        + "): the newest month the run wrote, with the failing records' ids as evidence "
        "(compliance.control_results keeps every month's outcome).",
        evaluate,
    )


HOOKS: dict[str, CheckHook] = {control.id: control_check(control) for control in load_controls()}
