"""Compliance controls on hand-worked records of March 2025 (UTC; the month ends 2025-04-01 00:00).

Data-subject requests, evaluated in the month their deadline falls (30 days from receipt; 90
when the requester was told of the extension within the first 30):
  r1 received 02-01, closed 03-04 (day 31), no extension: deadline 03-03 -> fails
  r2 received 2024-12-31, told 01-20 (day 20), closed 03-25 (day 84): deadline 03-31 -> passes
  r3 received 02-05, told 03-10 (day 33, too late to extend), closed 03-20: deadline 03-07 -> fails
  r4 received 02-20, open: deadline 03-22 -> fails
  r5 received 03-15, open: deadline 04-14, not yet due -> not evaluated
  r6 received 03-01, closed 03-05: deadline 03-31 -> passes
  r7 received 2024-12-15, told 2025-01-05, closed 03-20 (day 95): deadline 03-15 -> fails
  -> 6 evaluated, 2 passing = 33.33 % < 100: fail.
Consent: user 1 analytics processed 03-10 under a consent of 01-01 -> passes; user 2
  marketing_email processed 03-12, consent withdrawn 03-01 -> fails; user 3 analytics processed
  03-05 without any consent -> fails; user 1 marketing_email processed 02-10: not March.
  -> 3 evaluated, 1 passing: fail.
Retention (usage_events kept 30 days): snapshot 03-10 oldest 02-15 (limit 02-08) passes; snapshot
  03-20 oldest 02-15 (limit 02-18) fails -> 1 failing > max 0: fail.
Vulnerabilities, evaluated in the month their SLA ends: v1 critical found 03-16, open 16 days at
  the month's end (SLA 15, ended 03-31) -> fails; v2 critical found 03-17: its SLA ends 04-01 ->
  April; v3 high 02-10 -> 03-05 (23 of 30 days) passes; v4 low 2024-10-01 -> 03-01 (151 of 180,
  SLA ends 03-30) passes -> 3 evaluated, 2 passing = 66.67 % < 95: fail.
Patch: h1's last March snapshot (03-31) supported (its 03-01 one not), h2 supported -> 2/2: pass.
Access reviews due 03-31: a1 done 03-31 15:00 passes, a2 done 04-02 fails -> 50 %: fail.
Training: t1 due 03-15 done 03-10, t3 due 03-25 done 03-25 pass; t2 due 03-20 never done fails;
  t4 due 04-05 not due -> 2 of 3 = 66.67 % < 95: fail.
Policies (grace 30 days: staff hired, and versions effective, before 03-02 count): pol1 v2
  (effective 01-15) is current; s1 acknowledged it, s4 only v1 -> 1 of 2: fail. s2 hired 03-10
  (grace), s3 left 02-28, pol2 v1 effective 03-20 (grace): not evaluated.
Documents (reviewed or issued since 2024-04-01): pol1 v2 01-15 passes, pol2 v1 03-20 passes,
  proc1 v1 reviewed 2024-02-01 fails -> 2 of 3: fail.
Cross-border transfers, each under way on a day of March (started before 04-01, not ended
  before 03-01): x1 SCCs passes, x2 safeguard none fails, x3 (started 03-31) nothing recorded
  fails, x6 derogation (ended 03-01, its last day) passes; x4 ended 02-28 and x5 starts 04-01:
  not evaluated -> 2 of 4 = 50 % < 100: fail, evidence x2, x3.
Regulatory obligations, evaluated when due in March or due earlier and not met by 03-01: o1 due
  03-10 met 03-05 passes; o2 due 03-20 met 03-25 (late) fails; o3 due 02-15 never met fails
  (overdue); o5 due 03-31 met 04-02 (after the month's end) fails; o4 (due 01-31, met 02-10,
  before March), o8 (due 04-01) and o10 (waived) are not evaluated -> 1 of 4 = 25 %: fail.
Deadlines as of March's last day (03-31), open ones only: overdue o3 (days_left 02-15 - 03-31 =
  -44) and o5 (0: due that day, met only on 04-02); due in the next 90 days, days_left 1 to 90
  inclusive: o9 (04-15, 15) and o6 (06-29: 30 + 31 + 29 = 90); o7 (06-30, 91) is not listed,
  nor o8 (due 04-01 but met 03-28).
Evidence for February, collected 03-05 (due by March's end): every control but patch_status
  (its comes 04-03, too late; dsr_timeliness has two) -> 11 of 12: fail. evidence_count
  (collected in March): 2 for dsr_timeliness, 0 for patch_status, 1 for the others.
Adherence for March: 1 control passing (patch_status) of 12 evaluated = 8.33 %.
Erasures executed in March (ingest.erasure_log): request r2, one run on 03-26 touching users (1
  row), events (5), consents (2) and data_subject_requests (1 value emptied), the quarantine
  checked with nothing to remove (not counted) -> 1 request, 4
  tables, 8 rows removed, 1 value emptied; the retention purge ran on 04-01 00:30 UTC (April):
  none in March.
"""

import html
from datetime import date
from pathlib import Path

import dagster as dg
import pytest
import yaml
from deployment import deployment, nexus
from report_runs import materialize

from nexus_pipelines.domains import compliance
from nexus_pipelines.ingest import ensure_ingest_tables
from nexus_pipelines.project import project
from nexus_pipelines.reports import build_report_assets
from nexus_pipelines.scorecard import compute_days
from nexus_pipelines.settings import PROJECT_DIR
from nexus_pipelines.sql_assets import build_sql_asset, load_declarations
from nexus_pipelines.warehouse import Warehouse

MARCH = date(2025, 3, 1)
RAW = {
    "data_subject_requests": (
        "request_id, user_id, request_type, received_at, extension_notified_at, closed_at",
        [
            ("r1", 1, "access", "2025-02-01", None, "2025-03-04"),
            ("r2", 1, "erasure", "2024-12-31", "2025-01-20", "2025-03-25"),
            ("r3", 2, "access", "2025-02-05", "2025-03-10", "2025-03-20"),
            ("r4", 2, "portability", "2025-02-20", None, None),
            ("r5", 3, "access", "2025-03-15", None, None),
            ("r6", 3, "objection", "2025-03-01", None, "2025-03-05"),
            ("r7", None, "access", "2024-12-15", "2025-01-05", "2025-03-20"),
        ],
    ),
    "consents": (
        "consent_id, user_id, purpose, granted_at, withdrawn_at",
        [
            ("c1", 1, "analytics", "2025-01-01", None),
            ("c2", 2, "marketing_email", "2025-01-01", "2025-03-01"),
            ("c3", 1, "marketing_email", "2025-01-01", None),
        ],
    ),
    "processing_activities": (
        "user_id, purpose, last_processed_at",
        [
            (1, "analytics", "2025-03-10"),
            (2, "marketing_email", "2025-03-12"),
            (3, "analytics", "2025-03-05"),
            (1, "marketing_email", "2025-02-10"),
        ],
    ),
    "retention_policies": (
        "data_category, retention_days, legal_basis",
        [("usage_events", 30, "legitimate_interest")],
    ),
    "data_inventory": (
        "snapshot_date, system, data_category, record_count, oldest_record_at",
        [
            ("2025-03-10", "warehouse", "usage_events", 100, "2025-02-15"),
            ("2025-03-20", "warehouse", "usage_events", 100, "2025-02-15"),
        ],
    ),
    "vulnerability_findings": (
        "finding_id, host_id, cve_id, severity, detected_at, remediated_at",
        [
            ("v1", "h1", None, "critical", "2025-03-16", None),
            ("v2", "h1", None, "critical", "2025-03-17", None),
            ("v3", "h2", "CVE-2025-1", "high", "2025-02-10", "2025-03-05"),
            ("v4", "h2", None, "low", "2024-10-01", "2025-03-01"),
        ],
    ),
    "host_patch_levels": (
        "host_id, snapshot_date, os_version, patch_level, supported",
        [
            ("h1", "2025-03-01", "ubuntu 22.04", "p2024.9", False),
            ("h1", "2025-03-31", "ubuntu 22.04", "p2025.3", True),
            ("h2", "2025-03-31", "ubuntu 22.04", "p2025.2", True),
        ],
    ),
    "access_reviews": (
        "review_id, system, reviewer_staff_id, due_on, completed_at",
        [
            ("a1", "github", "s1", "2025-03-31", "2025-03-31 15:00"),
            ("a2", "stripe", "s1", "2025-03-31", "2025-04-02"),
        ],
    ),
    "training_assignments": (
        "assignment_id, staff_id, course, assigned_at, due_on, completed_at",
        [
            ("t1", "s1", "privacy_gdpr", "2025-02-13", "2025-03-15", "2025-03-10"),
            ("t2", "s1", "security_awareness", "2025-02-18", "2025-03-20", None),
            ("t3", "s4", "privacy_gdpr", "2025-02-23", "2025-03-25", "2025-03-25 18:00"),
            ("t4", "s4", "security_awareness", "2025-03-06", "2025-04-05", None),
        ],
    ),
    "controlled_documents": (
        "document_id, version, title, doc_type, effective_on, last_reviewed_on, "
        "requires_acknowledgement",
        [
            ("pol1", 1, "Privacy policy", "policy", "2024-01-01", "2024-06-01", True),
            ("pol1", 2, "Privacy policy", "policy", "2025-01-15", "2025-01-15", True),
            ("pol2", 1, "Security policy", "policy", "2025-03-20", "2025-03-20", True),
            ("proc1", 1, "Incident procedure", "procedure", "2024-01-01", "2024-02-01", False),
        ],
    ),
    "policy_acknowledgements": (
        "staff_id, document_id, version, acknowledged_at",
        [("s1", "pol1", 2, "2025-01-20"), ("s4", "pol1", 1, "2024-06-05")],
    ),
    "data_transfers": (
        "transfer_id, recipient, destination_country, data_category, safeguard, started_on, "
        "ended_on",
        [
            ("x1", "Cloud host", "US", "account_data", "sccs", "2024-06-01", None),
            ("x2", "Labeller", "PH", "support_conversations", "none", "2025-02-01", None),
            ("x3", "Lead vendor", "US", "marketing_contacts", None, "2025-03-31", None),
            ("x4", "Old SMS provider", "BR", "account_data", "none", "2024-01-01", "2025-02-28"),
            ("x5", "Reseller", "JP", "billing_records", "adequacy_decision", "2025-04-01", None),
            ("x6", "Agent", "SG", "billing_records", "derogation", "2024-01-01", "2025-03-01"),
        ],
    ),
    "regulatory_obligations": (
        "obligation_id, regulation, requirement, due_on, status, met_on, jurisdiction, "
        "effective_on, owner",
        [
            (*obligation, "EU", "2025-01-01", "Legal Compliance Checker")
            for obligation in [
                ("o1", "GDPR", "ROPA review", "2025-03-10", "met", "2025-03-05"),
                ("o2", "SOC 2", "Risk assessment", "2025-03-20", "met", "2025-03-25"),
                ("o3", "PCI DSS 4.0", "ASV scan", "2025-02-15", "open", None),
                ("o4", "UK GDPR", "ICO fee", "2025-01-31", "met", "2025-02-10"),
                ("o5", "CCPA/CPRA", "Privacy policy update", "2025-03-31", "met", "2025-04-02"),
                ("o6", "EU AI Act", "AI inventory", "2025-06-29", "open", None),
                ("o7", "EU AI Act", "AI content marking", "2025-06-30", "open", None),
                ("o8", "NIS2", "Risk measures review", "2025-04-01", "met", "2025-03-28"),
                ("o9", "EU Data Act", "Data access", "2025-04-15", "in_progress", None),
                ("o10", "CCPA/CPRA", "Request metrics", "2025-03-15", "waived", None),
            ]
        ],
    ),
    "staff": (
        "staff_id, role, department, hired_on, left_on",
        [
            ("s1", "Legal Compliance Checker", "legal", "2024-01-01", None),
            ("s2", "Support Responder", "support", "2025-03-10", None),
            ("s3", "Growth Hacker", "marketing", "2024-01-01", "2025-02-28"),
            ("s4", "DevOps Automator", "engineering", "2024-06-01", None),
        ],
    ),
}
CONTROL_IDS = [control.id for control in compliance.load_controls()]
EVIDENCE = [
    (f"e{n}", control, "2025-02-01", "2025-03-05", "export")
    for n, control in enumerate([*CONTROL_IDS, "dsr_timeliness"])
    if control != "patch_status"
] + [("late", "patch_status", "2025-02-01", "2025-04-03", "export")]  # after March: too late
ERASURE_LOG = [  # run, request, reason, subject hash, table, rows removed, values emptied, when
    ("run1", "r2", "erasure", "h", "raw.users", 1, 0, "2025-03-26 10:00"),
    ("run1", "r2", "erasure", "h", "raw.events", 5, 0, "2025-03-26 10:00"),
    ("run1", "r2", "erasure", "h", "raw.consents", 2, 0, "2025-03-26 10:00"),
    ("run1", "r2", "erasure", "h", "raw.data_subject_requests", 0, 1, "2025-03-26 10:00"),
    ("run1", "r2", "erasure", "h", "ingest.quarantine", 0, 0, "2025-03-26 10:00"),  # checked only
    ("run2", "retention:usage_events", "retention", None, "raw.events", 40, 0, "2025-04-01 00:30"),
]


def load_raw(warehouse: Warehouse) -> None:
    with warehouse.get_connection() as connection:
        ensure_ingest_tables(connection)
        for table, (columns, rows) in {
            **RAW,
            "control_evidence": (
                "evidence_id, control_id, period_month, collected_at, evidence_type",
                EVIDENCE,
            ),
        }.items():
            marks = ", ".join(f"${n + 1}" for n in range(len(rows[0])))
            connection.executemany(
                f"insert into raw.{table} ({columns}) values ({marks})", [list(r) for r in rows]
            )
        connection.executemany(
            "insert into ingest.erasure_log (run_id, request_id, reason, subject_hash, table_name,"
            " rows_removed, values_emptied, executed_at, executed_by)"
            " values ($1, $2, $3, $4, $5, $6, $7, $8, 'test')",
            [list(row) for row in ERASURE_LOG],
        )


def compliance_assets() -> list[dg.AssetsDefinition]:
    declared = [build_sql_asset(d) for d in load_declarations() if d.domain == "compliance"]
    return [*declared, *compliance.build_assets(project())]


@pytest.fixture
def march(warehouse: Warehouse) -> tuple[Warehouse, dg.ExecuteInProcessResult]:
    load_raw(warehouse)
    result = dg.materialize(
        compliance_assets(), resources={"warehouse": warehouse}, partition_key="2025-03-01"
    )
    assert result.success
    return warehouse, result


def facts(warehouse: Warehouse, control: str) -> dict[str, bool]:
    return facts_in(warehouse, control, MARCH)


def facts_in(warehouse: Warehouse, control: str, month: date) -> dict[str, bool]:
    with warehouse.get_connection(read_only=True) as connection:
        rows = connection.execute(
            "select record_id, passed from ("
            "select * from compliance.privacy_facts union all by name "
            "select * from compliance.security_facts union all by name "
            "select * from compliance.audit_facts union all by name "
            "select * from compliance.regulatory_facts) "
            "where control_id = $control and period_month = $month",
            {"control": control, "month": month},
        ).fetchall()
    return dict(rows)


def test_each_control_judges_each_record_by_hand(march) -> None:
    warehouse, _ = march
    assert facts(warehouse, "dsr_timeliness") == {
        "r1": False, "r2": True, "r3": False, "r4": False, "r6": True, "r7": False,
    }  # fmt: skip
    assert facts(warehouse, "consent_coverage") == {
        "1/analytics": True, "2/marketing_email": False, "3/analytics": False,
    }  # fmt: skip
    assert facts(warehouse, "data_retention") == {
        "warehouse/usage_events/2025-03-10": True,
        "warehouse/usage_events/2025-03-20": False,
    }
    assert facts(warehouse, "vulnerability_remediation") == {"v1": False, "v3": True, "v4": True}
    assert facts(warehouse, "patch_status") == {"h1": True, "h2": True}
    assert facts(warehouse, "access_reviews") == {"a1": True, "a2": False}
    assert facts(warehouse, "training_completion") == {"t1": True, "t2": False, "t3": True}
    assert facts(warehouse, "policy_acknowledgement") == {"s1/pol1/v2": True, "s4/pol1/v2": False}
    assert facts(warehouse, "documentation_currency") == {
        "pol1": True, "pol2": True, "proc1": False,
    }  # fmt: skip
    assert facts(warehouse, "cross_border_transfers") == {
        "x1": True, "x2": False, "x3": False, "x6": True,
    }  # fmt: skip
    assert facts(warehouse, "regulatory_deadlines") == {
        "o1": True, "o2": False, "o3": False, "o5": False,
    }  # fmt: skip
    evidence = facts(warehouse, "evidence_collection")
    assert evidence == {control: control != "patch_status" for control in CONTROL_IDS}


def test_control_results_rates_and_status_by_hand(march) -> None:
    warehouse, _ = march
    with warehouse.get_connection(read_only=True) as connection:
        rows = connection.execute(
            "select control_id, evaluated, passing, rate_pct, status, evidence_count "
            "from compliance.control_results where period_month = $month",
            {"month": MARCH},
        ).fetchall()
    results = {row[0]: row[1:] for row in rows}
    approx = pytest.approx
    assert results == {
        "dsr_timeliness": (6, 2, approx(100 * 2 / 6), "fail", 2),
        "consent_coverage": (3, 1, approx(100 / 3), "fail", 1),
        "data_retention": (2, 1, 50.0, "fail", 1),
        "vulnerability_remediation": (3, 2, approx(200 / 3), "fail", 1),
        "patch_status": (2, 2, 100.0, "pass", 0),
        "access_reviews": (2, 1, 50.0, "fail", 1),
        "training_completion": (3, 2, approx(200 / 3), "fail", 1),
        "policy_acknowledgement": (2, 1, 50.0, "fail", 1),
        "documentation_currency": (3, 2, approx(200 / 3), "fail", 1),
        "cross_border_transfers": (4, 2, 50.0, "fail", 1),
        "regulatory_deadlines": (4, 1, 25.0, "fail", 1),
        "evidence_collection": (12, 11, approx(1100 / 12), "fail", 1),
    }


def test_each_control_is_a_check_with_its_evidence(march) -> None:
    _, result = march
    checks = {c.check_name: c for c in result.get_asset_check_evaluations()}
    assert set(CONTROL_IDS) <= set(checks)
    dsr = checks["dsr_timeliness"]
    assert not dsr.passed and dsr.severity == dg.AssetCheckSeverity.ERROR
    assert dsr.metadata["failing_record_ids"].value == "r1, r3, r4, r7"
    assert dsr.metadata["rate_pct"].value == pytest.approx(33.33)
    assert dsr.metadata["threshold"].value == "100 %"
    assert dsr.asset_key == dg.AssetKey(["compliance", "privacy_facts"])
    patch = checks["patch_status"]
    assert patch.passed and patch.severity == dg.AssetCheckSeverity.WARN
    assert patch.metadata["failing_record_ids"].value == "none"
    vulns = checks["vulnerability_remediation"]
    assert vulns.metadata["failing_record_ids"].value == "v1"
    assert checks["data_retention"].metadata["threshold"].value == "at most 0 failing"
    transfers = checks["cross_border_transfers"]
    assert not transfers.passed and transfers.severity == dg.AssetCheckSeverity.ERROR
    assert transfers.asset_key == dg.AssetKey(["compliance", "privacy_facts"])
    assert transfers.metadata["rate_pct"].value == 50.0
    assert transfers.metadata["failing_record_ids"].value == "x2, x3"
    deadlines = checks["regulatory_deadlines"]
    assert not deadlines.passed and deadlines.severity == dg.AssetCheckSeverity.ERROR
    assert deadlines.asset_key == dg.AssetKey(["compliance", "regulatory_facts"])
    assert deadlines.metadata["rate_pct"].value == 25.0
    assert deadlines.metadata["failing_record_ids"].value == "o2, o3, o5"


def test_deadlines_list_overdue_and_the_next_90_days_by_hand(march) -> None:
    warehouse, _ = march
    with warehouse.get_connection(read_only=True) as connection:
        rows = connection.execute(
            "select obligation_id, state, days_left, overdue from compliance.obligation_deadlines"
            " where period_month = $month order by due_on",
            {"month": MARCH},
        ).fetchall()
    assert rows == [
        ("o3", "overdue", -44, 1),
        ("o5", "overdue", 0, 1),
        ("o9", "due", 15, 0),
        ("o6", "due", 90, 0),
    ]


def test_adherence_scores_the_latest_complete_month(march) -> None:
    """03-30: February is the latest complete month, never evaluated -> no data; 03-31 (March's
    last day) and 04-01: 1 passing of 12 = 8.33 % (missed, target > 98)."""
    warehouse, _ = march
    with warehouse.get_connection(read_only=True) as connection:
        days = compute_days(connection, date(2025, 3, 30), date(2025, 4, 1))
    scored = {
        row.as_of: (row.value, row.status)
        for row in days
        if row.metric == "regulatory_adherence_pct"
    }
    assert scored == {
        "2025-03-30": (None, "no data"),
        "2025-03-31": (pytest.approx(100 / 12), "missed"),
        "2025-04-01": (pytest.approx(100 / 12), "missed"),
    }


def report_section(report: str, title: str) -> list[str]:
    lines = report.splitlines()
    start = lines.index(f"## {title}") + 1
    end = next((i for i in range(start, len(lines)) if lines[i].startswith("## ")), len(lines))
    return [line for line in lines[start:end] if line]


def status_report(warehouse: Warehouse) -> str:
    """The status report as the monthly schedule runs it: the month holding the data's last
    day, as of that day (or the month's last day)."""
    [report_asset] = [a for a in build_report_assets() if a.key.path[0] == "compliance"]
    result = materialize([report_asset], resources={"warehouse": warehouse})
    assert result.success
    [event] = result.get_asset_materialization_events()
    return event.materialization.metadata["report"].value


def end_the_data_with_march(warehouse: Warehouse) -> None:
    """The raw rows dated in April (a2's review done 04-02, o5 met 04-02, x5 starting 04-01,
    patch_status's late evidence 04-03) removed after March's run: March's tables stay as they
    are and the data ends on 03-31, so the report is March's, as of 03-31."""
    with warehouse.get_connection() as connection:
        connection.execute("delete from raw.access_reviews where completed_at >= '2025-04-01'")
        connection.execute("delete from raw.control_evidence where collected_at >= '2025-04-01'")
        connection.execute("delete from raw.regulatory_obligations where met_on >= '2025-04-01'")
        connection.execute("delete from raw.data_transfers where started_on >= '2025-04-01'")


def test_the_status_report_names_failing_controls_owners_and_evidence(march) -> None:
    """March, as of 03-31: 8.33 % overall; Security 1 of 3 (patch_status) = 33.33 %, Privacy,
    Regulatory and Audit readiness 0. The error-severity failures come first, with their failing
    ids. Open requests at the end of 03-31: r4 (deadline 03-22) and r5 (04-14): 03-22 - 03-31 =
    -9 (overdue) and 04-14 - 03-31 = 14 days (the report counted them from the latest request
    event, r2 closed 03-25, -3 and 20, before it was of a period). Erasures, overdue obligations
    and the next 90 days' deadlines as worked out in the module's docstring."""
    warehouse, _ = march
    end_the_data_with_march(warehouse)
    report = status_report(warehouse)
    assert report.startswith("# Compliance status report, as of 2025-03-31")
    assert report_section(report, "Regulatory adherence of the month (target > 98 %)") == [
        "**8.33** %"
    ]
    assert report_section(report, "Adherence per area")[2:] == [
        "| 2025-03-01 | Audit readiness | 0 | 4 | 0.00 |",
        "| 2025-03-01 | Privacy | 0 | 4 | 0.00 |",
        "| 2025-03-01 | Regulatory | 0 | 1 | 0.00 |",
        "| 2025-03-01 | Security | 1 | 3 | 33.33 |",
    ]
    failing = report_section(report, "Failing controls, with evidence")[2:]
    assert [row.split(" | ")[0] for row in failing][:6] == [
        "| consent_coverage",
        "| cross_border_transfers",
        "| data_retention",
        "| dsr_timeliness",
        "| regulatory_deadlines",
        "| vulnerability_remediation",
    ]
    assert failing[1].endswith("| x2, x3 |")
    assert failing[3].endswith("| r1, r3, r4, r7 |")
    assert failing[4].endswith("| o2, o3, o5 |")
    assert "Legal Compliance Checker" in failing[3]
    last_passed = report_section(report, "When each control last passed")
    assert "| patch_status | Security | Infrastructure Maintainer | pass | 2025-03-01 |  |" in (
        last_passed
    )
    assert "| dsr_timeliness | Privacy | Legal Compliance Checker | fail |  | 2025-03-01 |" in (
        last_passed
    )
    assert report_section(report, "Data-subject requests open and due")[2:] == [
        "| r4 | portability | 2025-02-20 | no | 2025-03-22 | -9 |",
        "| r5 | access | 2025-03-15 | no | 2025-04-14 | 14 |",
    ]
    erasures = report_section(report, "Erasures executed in the month")
    assert erasures[2:] == [
        "| 2025-03-01 | erasure | 1 | 1 | 4 | 8 | 1 | r2 | 2025-03-26 10:00:00+00:00 |",
        "| 2025-03-01 | retention | 0 | 0 | 0 | 0 | 0 | none executed |  |",
    ]
    overdue = report_section(report, "Overdue regulatory obligations")[2:]
    assert [(row.split(" | ")[0], row.split(" | ")[-1]) for row in overdue] == [
        ("| 2025-02-15", "o3 |"),
        ("| 2025-03-31", "o5 |"),
    ]
    upcoming = report_section(report, "Upcoming deadlines (next 90 days)")[2:]
    assert upcoming == [
        "| 2025-04-15 | 15 | EU Data Act | EU | Data access | Legal Compliance Checker |"
        " in_progress | o9 |",
        "| 2025-06-29 | 90 | EU AI Act | EU | AI inventory | Legal Compliance Checker |"
        " open | o6 |",
    ]


def test_erasures_read_none_on_a_warehouse_without_the_erasure_log(warehouse: Warehouse) -> None:
    """A warehouse last ingested into before erasure existed has no ingest.erasure_log: the
    monthly run creates it (empty) and says plainly that nothing was executed."""
    load_raw(warehouse)
    end_the_data_with_march(warehouse)
    with warehouse.get_connection() as connection:
        connection.execute("drop table ingest.erasure_log")
    [report_asset] = [a for a in build_report_assets() if a.key.path[0] == "compliance"]
    result = materialize([*compliance_assets(), report_asset], resources={"warehouse": warehouse})
    assert result.success
    [event] = [
        e for e in result.get_asset_materialization_events() if e.asset_key == report_asset.key
    ]
    report = event.materialization.metadata["report"].value
    assert report_section(report, "Erasures executed in the month")[2:] == [
        "| 2025-03-01 | erasure | 0 | 0 | 0 | 0 | 0 | none executed |  |",
        "| 2025-03-01 | retention | 0 | 0 | 0 | 0 | 0 | none executed |  |",
    ]


def test_a_month_not_evaluated_says_so(march) -> None:
    """The data ends on 04-03 (the late evidence): the report is April's, as of 04-03, and only
    March was evaluated. April shows no adherence and no area, failing control, erasure or
    obligation rows (its tables hold none of April); each control's history stops at March.
    Open at the end of 04-03: r4 (deadline 03-22: -12 days) and r5 (04-14: 11 days)."""
    warehouse, _ = march
    report = status_report(warehouse)
    assert report.startswith("# Compliance status report, as of 2025-04-03")
    adherence = report_section(report, "Regulatory adherence of the month (target > 98 %)")
    assert adherence == ["_no data_"]
    for title in (
        "Adherence per area",
        "Failing controls, with evidence",
        "Erasures executed in the month",
        "Overdue regulatory obligations",
        "Upcoming deadlines (next 90 days)",
    ):
        assert report_section(report, title) == ["_no rows_"], title
    assert "| patch_status | Security | Infrastructure Maintainer |  | 2025-03-01 |  |" in (
        report_section(report, "When each control last passed")
    )
    assert report_section(report, "Data-subject requests open and due")[2:] == [
        "| r4 | portability | 2025-02-20 | no | 2025-03-22 | -12 |",
        "| r5 | access | 2025-03-15 | no | 2025-04-14 | 11 |",
    ]


def test_the_status_report_exports_as_html(march, tmp_path: Path) -> None:
    """`nexus report compliance_status_report --format html` of the stored version: each
    section's title, and March's figures read here from control_results and
    obligation_deadlines."""
    warehouse, _ = march
    end_the_data_with_march(warehouse)
    status_report(warehouse)
    with warehouse.get_connection(read_only=True) as connection:
        [(adherence, failing)] = connection.execute(
            "select round(100.0 * count(*) filter (where status = 'pass') "
            "/ count(*) filter (where status <> 'not evaluated'), 2), "
            "count(*) filter (where status = 'fail') "
            "from compliance.control_results where period_month = '2025-03-01'"
        ).fetchall()
        overdue = connection.execute(
            "select obligation_id from compliance.obligation_deadlines "
            "where period_month = '2025-03-01' and state = 'overdue' order by 1"
        ).fetchall()
    (tmp_path / "cli").mkdir()
    env = deployment(tmp_path / "cli", NEXUS_DUCKDB_PATH=str(warehouse.resolved_path()))
    out = tmp_path / "compliance.html"
    nexus(env, "report", "compliance_status_report", "--format", "html", "--out", str(out))
    page = out.read_text(encoding="utf-8")
    assert "Compliance status report, as of 2025-03-31" in page
    declared = yaml.safe_load((PROJECT_DIR / "assets/domains/compliance/reports.yaml").read_text())
    [spec] = [s for s in declared["reports"] if s["name"] == "compliance_status_report"]
    for part in spec["sections"]:
        assert f"<h2>{html.escape(part['title'])}</h2>" in page
    assert f"{adherence:.2f}" in page
    assert page.count("<td>fail</td>") >= failing
    assert [row[0] for row in overdue] == ["o3", "o5"]
    assert all(f"<td>{obligation}</td>" in page for (obligation,) in overdue)


def test_no_evidence_is_owed_for_a_period_before_the_records_begin(warehouse: Warehouse) -> None:
    """February would judge January's evidence, but the first period with evidence is February:
    nothing is owed, so evidence_collection is not evaluated (not 10 failures)."""
    load_raw(warehouse)
    result = dg.materialize(
        compliance_assets(), resources={"warehouse": warehouse}, partition_key="2025-02-01"
    )
    assert result.success
    assert facts_in(warehouse, "evidence_collection", date(2025, 2, 1)) == {}
    with warehouse.get_connection(read_only=True) as connection:
        [(status,)] = connection.execute(
            "select status from compliance.control_results "
            "where control_id = 'evidence_collection' and period_month = '2025-02-01'"
        ).fetchall()
    assert status == "not evaluated"
