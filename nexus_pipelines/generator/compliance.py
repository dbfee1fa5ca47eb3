"""Compliance: the team, privacy requests and consents, retention, security, documents, evidence,
regulatory obligations and cross-border transfers.

Mostly clean with a handful of planted violations per control, so the adherence score is high
but not perfect and every control has something to find: among them two obligations past their
deadline and never met, and three transfers without a recorded safeguard.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from nexus_pipelines.generator.columns import DAY, NULL, Cat, Table, ids, null_where, text
from nexus_pipelines.generator.world import (
    ROLES,
    WORK_HOURS,
    Clock,
    Staff,
    Users,
    World,
    time_of_day,
)

_CONTROLS = (
    "dsr_timeliness",
    "consent_coverage",
    "data_retention",
    "vulnerability_remediation",
    "patch_status",
    "access_reviews",
    "training_completion",
    "policy_acknowledgement",
    "documentation_currency",
    "evidence_collection",
)
# Controls added after the first ten: their evidence comes from a stream of its own.
_ADDED_CONTROLS = ("cross_border_transfers", "regulatory_deadlines")
_RETENTION = (  # data category, retention days, legal basis
    ("account_data", 1095, "contract"),
    ("usage_events", 395, "legitimate_interest"),
    ("support_conversations", 730, "legitimate_interest"),
    ("marketing_contacts", 365, "consent"),
    ("billing_records", 3650, "legal_obligation"),
    ("access_logs", 90, "legitimate_interest"),
    ("backups", 35, "legitimate_interest"),
)
_HOLDINGS = (  # system, data category, records per user, whose purge job stalls once
    ("app_db", 0, 1.0, False),
    ("warehouse", 0, 1.0, False),
    ("warehouse", 1, 40.0, False),
    ("zendesk", 2, 0.45, False),
    ("hubspot", 3, 0.45, False),
    ("stripe", 4, 0.3, False),
    ("log_store", 5, 200.0, True),
    ("s3_backups", 6, 30.0, True),
)
_HOSTS = tuple(
    f"{kind}-{k:02d}"
    for kind, count in (("web", 6), ("api", 6), ("worker", 4), ("db", 3), ("ci", 2), ("bastion", 1))
    for k in range(1, count + 1)
)
_OS_VERSIONS = ("ubuntu-22.04", "ubuntu-24.04", "debian-12", "amazon-linux-2023")
# Recurring obligations: regulation, jurisdiction, requirement, owner, every n days, lead days
# (the cycle's first day before the deadline). Waived: assessed as not applying to the company.
_RECURRING = (
    (
        "GDPR",
        "EU",
        "Review the record of processing activities (Art. 30)",
        "Legal Compliance Checker",
        365,
        60,
    ),
    (
        "GDPR",
        "EU",
        "Review the data protection impact assessments (Art. 35(11))",
        "Legal Compliance Checker",
        365,
        60,
    ),
    ("UK GDPR", "UK", "Renew the ICO data protection fee", "Finance Tracker", 365, 30),
    (
        "CCPA/CPRA",
        "US-CA",
        "Update the privacy policy and its disclosures (Civ. Code 1798.130(a)(5))",
        "Legal Compliance Checker",
        365,
        45,
    ),
    (
        "CCPA/CPRA",
        "US-CA",
        "Publish the year's consumer-request metrics (CCPA Regulations 7102)",
        "Legal Compliance Checker",
        365,
        30,
    ),
    (
        "SOC 2",
        "global",
        "Annual risk assessment (CC3.1-CC3.4)",
        "Infrastructure Maintainer",
        365,
        45,
    ),
    (
        "SOC 2",
        "global",
        "Type II audit period closes: evidence to the auditor",
        "Legal Compliance Checker",
        365,
        60,
    ),
    (
        "PCI DSS 4.0",
        "global",
        "Quarterly external ASV vulnerability scan (req. 11.3.2)",
        "Infrastructure Maintainer",
        91,
        30,
    ),
    (
        "PCI DSS 4.0",
        "global",
        "Self-assessment questionnaire and attestation of compliance",
        "Finance Tracker",
        365,
        45,
    ),
    (
        "PCI DSS 4.0",
        "global",
        "Annual penetration test (req. 11.4.3)",
        "Infrastructure Maintainer",
        365,
        45,
    ),
    (
        "NIS2",
        "EU",
        "Review the cybersecurity risk-management measures (Art. 21)",
        "Infrastructure Maintainer",
        365,
        60,
    ),
)
_WAIVED = 4  # the consumer-request metrics: the company is below the 10 million consumers
# One-off obligations: regulation, jurisdiction, requirement, owner, deadline in days from the
# window's end (negative: past), missed (planted: still not met).
_ONE_OFF = (
    (
        "EU AI Act",
        "EU",
        "AI literacy of staff operating AI systems (Art. 4)",
        "Legal Compliance Checker",
        None,
        False,
    ),
    (
        "GDPR",
        "EU",
        "Data processing agreements with the new processors (Art. 28(3))",
        "Legal Compliance Checker",
        -40,
        True,
    ),
    (
        "PCI DSS 4.0",
        "global",
        "Targeted risk analysis for each flexible requirement (req. 12.3.1)",
        "Infrastructure Maintainer",
        -25,
        True,
    ),
    (
        "EU Data Act",
        "EU",
        "Product data accessible to its users (Art. 3)",
        "Backend Architect",
        20,
        False,
    ),
    (
        "EU AI Act",
        "EU",
        "Inventory the AI systems and classify their risk (Art. 6, Annex III)",
        "Legal Compliance Checker",
        40,
        False,
    ),
    (
        "EU AI Act",
        "EU",
        "Mark AI-generated content as such (Art. 50)",
        "Content Creator",
        75,
        False,
    ),
)
# Restricted transfers: recipient, destination, data category (_RETENTION), safeguard (None:
# nothing recorded), start and end as fractions of the window (None: continuing). Three have no
# safeguard (planted): one ended early in the window, two run into its last months.
_SAFEGUARDS = ("adequacy_decision", "sccs", "bcrs", "derogation", "none")
_TRANSFERS = (
    ("Amazon Web Services", "US", 0, "sccs", 0.0, None),
    ("Amazon Web Services", "US", 6, "sccs", 0.0, None),
    ("Google Workspace", "US", 0, "adequacy_decision", 0.0, None),
    ("Stripe", "US", 4, "adequacy_decision", 0.0, None),
    ("Zendesk", "US", 2, "bcrs", 0.05, None),
    ("HubSpot", "US", 3, "sccs", 0.1, None),
    ("Twilio SendGrid", "US", 3, "bcrs", 0.1, None),
    ("Datadog", "US", 5, "sccs", 0.15, None),
    ("Mixpanel", "US", 1, "sccs", 0.2, 0.55),
    ("Former SMS provider", "BR", 0, "none", 0.1, 0.3),
    ("Atlassian", "AU", 2, "sccs", 0.25, None),
    ("Swiss backup vault", "CH", 6, "adequacy_decision", 0.3, None),
    ("UK analytics agency", "GB", 1, "adequacy_decision", 0.35, None),
    ("Reseller in Japan", "JP", 4, "adequacy_decision", 0.4, None),
    ("Chargeback agent", "SG", 4, "derogation", 0.45, None),
    ("Support desk in India", "IN", 2, "sccs", 0.5, None),
    ("Data-labelling contractor", "PH", 2, "none", 0.6, None),
    ("Lead-enrichment vendor", "US", 3, None, 0.8, None),
)
_DOCUMENTS = (  # id, title, type, requires acknowledgement
    ("POL-001", "Information security policy", "policy", True),
    ("POL-002", "Data protection policy", "policy", True),
    ("POL-003", "Acceptable use policy", "policy", True),
    ("POL-004", "Incident response policy", "policy", True),
    ("POL-005", "Access control policy", "policy", True),
    ("PRC-001", "Data subject request procedure", "procedure", False),
    ("PRC-002", "Vulnerability management procedure", "procedure", False),
    ("PRC-003", "Backup and restore procedure", "procedure", False),
    ("PRC-004", "Change management procedure", "procedure", True),
    ("STD-001", "Secure coding standard", "standard", False),
    ("STD-002", "Encryption standard", "standard", False),
    ("STD-003", "Logging standard", "standard", False),
)


def tables(world: World) -> Iterator[Table]:
    """A stream per control area; security and documents each share theirs across tables."""
    c, u, staff = world.clock, world.users, world.staff
    yield _staff(c, staff)
    yield _data_subject_requests(world.rng("dsr"), c, u)
    yield from _consents(world.rng("consents"), c, u)
    yield from _retention(world.rng("retention"), c, u)
    yield from _security(world.rng("security"), c, staff)
    yield from _documents(world.rng("documents"), c, staff)
    yield _control_evidence(world.rng("evidence"), world.rng("evidence_added"), c)
    yield _regulatory_obligations(world.rng("obligations"), c)
    yield _data_transfers(world.rng("transfers"), c)


def _staff(c: Clock, staff: Staff) -> Table:
    """The team is drawn with the world (finance pays it too); its table is compliance's."""
    departments = sorted({r[1] for r in ROLES})
    return Table(
        "staff",
        {
            "staff_id": staff.ids(np.arange(staff.hired.size)),
            "role": Cat(staff.role, [r[0] for r in ROLES]),
            "department": Cat(
                np.array([departments.index(r[1]) for r in ROLES])[staff.role], departments
            ),
            "hired_on": c.day0 + staff.hired,
            "left_on": np.where(staff.left == NULL, NULL, c.day0 + staff.left),
        },
    )


def _data_subject_requests(rng: np.random.Generator, c: Clock, u: Users) -> Table:
    """Requests answered within a month, a few extended with notice and a few late."""
    m = max(12, int(u.signup.size * 0.004))
    received = np.sort(c.t0 + rng.integers(0, c.days * DAY, m))
    joined = np.searchsorted(u.signup, received)
    known = (rng.random(m) < 0.85) & (joined > 0)
    user = (rng.random(m) * joined).astype(np.int64)
    r = rng.random(m)
    extended, late = r < 0.12, (r >= 0.12) & (r < 0.17)
    lag = np.select(
        [extended, late],
        [rng.uniform(35, 85, m), rng.uniform(31, 45, m)],
        rng.uniform(1, 28, m),
    )
    closed = received + (lag * DAY).astype(np.int64)
    notified = received + rng.integers(5 * DAY, 25 * DAY, m)
    return Table(
        "data_subject_requests",
        {
            "request_id": ids("dsr_", np.arange(1, m + 1), 5),
            "user_id": np.where(known, user + 1, NULL),
            "request_type": Cat(
                rng.choice(5, m, p=[0.4, 0.25, 0.15, 0.12, 0.08]),
                ("access", "erasure", "rectification", "portability", "objection"),
            ),
            "received_at": received,
            "extension_notified_at": null_where(~extended | (notified >= c.end), notified),
            "closed_at": null_where(closed >= c.end, closed),
        },
    )


def _consents(rng: np.random.Generator, c: Clock, u: Users) -> Iterator[Table]:
    """Consents at signup, some withdrawn; processing mostly follows them, a few do not."""
    n = u.signup.size
    purposes = ("analytics", "marketing_email", "personalisation")
    consent_users, consent_purpose, granted_, withdrawn_ = [], [], [], []
    processed_users, processed_purpose, processed_at = [], [], []
    for p, chance in enumerate((0.92, 0.45, 0.65)):
        consented = rng.random(n) < chance
        granted = np.minimum(u.signup + rng.integers(0, 600, n), c.end - 1)
        withdraws = consented & (rng.random(n) < 0.06)
        withdrawn = granted + 60 + (rng.random(n) * (c.end - granted - 60)).astype(np.int64)
        last = np.maximum(u.last_seen, granted)
        ignored = withdraws & (rng.random(n) < 0.05)  # kept processing after withdrawal
        stops = withdraws & ~ignored
        last = np.where(stops, np.maximum(granted, np.minimum(last, withdrawn - 30)), last)
        last = np.where(ignored, np.minimum(np.maximum(last, withdrawn + DAY), c.end - 1), last)
        unconsented = ~consented & (rng.random(n) < 0.001)
        has = np.flatnonzero(consented)
        consent_users.append(has)
        consent_purpose.append(np.full(has.size, p))
        granted_.append(granted[has])
        withdrawn_.append(np.where(withdraws, withdrawn, NULL)[has])
        used = np.flatnonzero(consented | unconsented)
        processed_users.append(used)
        processed_purpose.append(np.full(used.size, p))
        processed_at.append(last[used])
    user, purpose, granted, withdrawn = (
        np.concatenate(x) for x in (consent_users, consent_purpose, granted_, withdrawn_)
    )
    order = np.lexsort((purpose, granted))
    yield Table(
        "consents",
        {
            "consent_id": ids("cns_", np.arange(1, user.size + 1), 8),
            "user_id": user[order] + 1,
            "purpose": Cat(purpose[order], purposes),
            "granted_at": granted[order],
            "withdrawn_at": withdrawn[order],
        },
    )
    user, purpose, last = (
        np.concatenate(x) for x in (processed_users, processed_purpose, processed_at)
    )
    order = np.lexsort((purpose, user))
    yield Table(
        "processing_activities",
        {
            "user_id": user[order] + 1,
            "purpose": Cat(purpose[order], purposes),
            "last_processed_at": last[order],
        },
    )


def _retention(rng: np.random.Generator, c: Clock, u: Users) -> Iterator[Table]:
    """Daily holdings per system; purge jobs keep data within retention except when stalled."""
    yield Table(
        "retention_policies",
        {
            "data_category": [r[0] for r in _RETENTION],
            "retention_days": np.array([r[1] for r in _RETENTION]),
            "legal_basis": [r[2] for r in _RETENTION],
        },
    )
    days = np.arange(c.days)
    snapshot = c.t0 + (days + 1) * DAY - 1
    users_by_day = np.searchsorted(u.signup, snapshot, side="right")
    first_record = u.signup[0]
    system, category, count, oldest = [], [], [], []
    stall = int(0.5 * c.days)
    for k, (_, cat, per_user, stalls) in enumerate(_HOLDINGS):
        held = np.floor(users_by_day * per_user * rng.lognormal(0, 0.02, c.days)).astype(np.int64)
        keep_seconds = _RETENTION[cat][1] * DAY
        purged = snapshot - keep_seconds + rng.integers(0, 2 * DAY, c.days)
        first = np.maximum(first_record, np.minimum(purged, snapshot))
        if stalls:  # the purge job was broken for three weeks
            first[stall : stall + 21] = first[stall]
        system.append(np.full(c.days, k))
        category.append(np.full(c.days, cat))
        count.append(held)
        oldest.append(np.where(held > 0, first, NULL))
    yield Table(
        "data_inventory",
        {
            "snapshot_date": np.tile(c.day0 + days, len(_HOLDINGS)),
            "system": Cat(
                np.array([sorted({h[0] for h in _HOLDINGS}).index(h[0]) for h in _HOLDINGS])[
                    np.concatenate(system)
                ],
                sorted({h[0] for h in _HOLDINGS}),
            ),
            "data_category": Cat(np.concatenate(category), [r[0] for r in _RETENTION]),
            "record_count": np.concatenate(count),
            "oldest_record_at": np.concatenate(oldest),
        },
    )


def _security(rng: np.random.Generator, c: Clock, staff: Staff) -> Iterator[Table]:
    """Vulnerability findings against severity SLAs, monthly patch levels, access reviews."""
    m = max(30, int(rng.poisson(0.9 * c.days)))
    detected = np.sort(c.t0 + rng.integers(0, c.days * DAY, m))
    severity = rng.choice(4, m, p=[0.05, 0.2, 0.45, 0.3])
    sla = np.array([15, 30, 90, 180])[severity] * DAY
    r = rng.random(m)
    lag = np.where(r < 0.9, rng.uniform(0.05, 0.95, m), rng.uniform(1.05, 1.8, m)) * sla
    remediated = detected + lag.astype(np.int64)
    never = (r > 0.96) | (remediated >= c.end)
    year = (detected // DAY).astype("datetime64[D]").astype("datetime64[Y]").astype(int) + 1970
    cve = text("CVE-", year, "-", rng.integers(1000, 49999, m))
    yield Table(
        "vulnerability_findings",
        {
            "finding_id": ids("vuln_", np.arange(1, m + 1), 5),
            "host_id": Cat(rng.integers(0, len(_HOSTS), m), _HOSTS),
            "cve_id": pc.if_else(pa.array(rng.random(m) < 0.85), cve, pa.scalar(None, pa.string())),
            "severity": Cat(severity, ("critical", "high", "medium", "low")),
            "detected_at": detected,
            "remediated_at": null_where(never, remediated),
        },
    )

    snapshots = c.snapshot_days()
    host = np.repeat(np.arange(len(_HOSTS)), snapshots.size)
    day = np.tile(snapshots, len(_HOSTS))
    os_ = rng.choice(len(_OS_VERSIONS), len(_HOSTS))[host]
    behind = np.where(rng.random(host.size) < 0.04, rng.integers(4, 8, host.size), 0)
    behind += rng.integers(0, 2, host.size)
    month = (c.day0 + day).astype("datetime64[D]").astype("datetime64[M]").astype(int) - behind
    yield Table(
        "host_patch_levels",
        {
            "host_id": Cat(host, _HOSTS),
            "snapshot_date": c.day0 + day,
            "os_version": Cat(os_, _OS_VERSIONS),
            "patch_level": text("p", 1970 + month // 12, ".", 1 + month % 12),
            "supported": behind <= 3,
        },
    )

    # Access reviews are due at quarter ends, including the next one (due dates may be ahead).
    firsts = c.months(extra=4)
    month_no = (c.day0 + firsts).astype("datetime64[D]").astype("datetime64[M]").astype(int)
    due = firsts[(month_no % 3 == 0) & (firsts >= 1)] - 1
    due = due[due < c.days + 92]
    systems = ("aws_console", "github", "postgres_prod", "stripe", "google_workspace")
    systems += ("zendesk",)
    system = np.repeat(np.arange(len(systems)), due.size)
    due_day = np.tile(due, len(systems))
    r = rng.random(system.size)
    completed_day = np.where(r < 0.82, due_day - rng.integers(0, 20, system.size), due_day)
    completed_day = np.where(
        (r >= 0.82) & (r < 0.93), due_day + rng.integers(1, 25, r.size), completed_day
    )
    completed = c.t0 + np.maximum(completed_day, 0) * DAY + time_of_day(rng, r.size, WORK_HOURS)
    undone = (r >= 0.93) | (completed >= c.end)
    on_staff = staff.employed(np.minimum(due_day, c.days - 1))  # [staff, review]
    pick = (rng.random(r.size) * on_staff.sum(axis=0)).astype(np.int64)
    reviewer = np.argmax(np.cumsum(on_staff, axis=0) > pick[None, :], axis=0)
    order = np.lexsort((system, due_day))
    yield Table(
        "access_reviews",
        {
            "review_id": ids("ar_", np.arange(1, r.size + 1), 4),
            "system": Cat(system[order], systems),
            "reviewer_staff_id": staff.ids(reviewer[order]),
            "due_on": c.day0 + due_day[order],
            "completed_at": null_where(undone, completed)[order],
        },
    )
    yield _training_assignments(rng, c, staff)


def _training_assignments(rng: np.random.Generator, c: Clock, staff: Staff) -> Table:
    """Courses at hire and yearly after; a few finish late or never."""
    courses = ("security_awareness", "privacy_gdpr", "secure_coding")
    cycles = c.days // 365 + 1
    member, course, cycle = (
        x.reshape(-1)
        for x in np.meshgrid(
            np.arange(staff.hired.size), np.arange(3), np.arange(cycles), indexing="ij"
        )
    )
    assigned_day = staff.hired[member] + 365 * cycle + course
    left = np.where(staff.left == NULL, c.days, staff.left)[member]
    engineering = np.array([r[1] == "engineering" for r in ROLES])[staff.role[member]]
    keep = (assigned_day < np.minimum(left, c.days)) & ((course < 2) | engineering)
    member, course, assigned_day, left = (x[keep] for x in (member, course, assigned_day, left))
    assigned = c.t0 + assigned_day * DAY + 9 * 3600
    r = rng.random(member.size)
    took = np.where(r < 0.93, rng.uniform(1, 28, r.size), rng.uniform(31, 60, r.size))
    completed = assigned + (took * DAY).astype(np.int64)
    missing = (r >= 0.97) | (completed >= c.end) | (completed >= c.t0 + left * DAY)
    order = np.lexsort((course, assigned))
    return Table(
        "training_assignments",
        {
            "assignment_id": ids("tr_", np.arange(1, member.size + 1), 5),
            "staff_id": staff.ids(member[order]),
            "course": Cat(course[order], courses),
            "assigned_at": assigned[order],
            "due_on": c.day0 + assigned_day[order] + 30,
            "completed_at": null_where(missing, completed)[order],
        },
    )


def _documents(rng: np.random.Generator, c: Clock, staff: Staff) -> Iterator[Table]:
    """Versioned documents reviewed yearly (two go stale) and acknowledged by staff."""
    docs = len(_DOCUMENTS)
    gaps = 60 + rng.exponential(240.0, (docs, 4)).astype(np.int64)
    first = rng.integers(0, max(c.days // 4, 1), docs)
    effective = np.concatenate([first[:, None], first[:, None] + np.cumsum(gaps, 1)], 1)
    stale = np.zeros(docs, bool)
    stale[rng.choice(docs, 2, replace=False)] = True
    effective[stale, 0] = rng.integers(0, max(min(30, c.days // 4), 1), int(stale.sum()))
    effective[stale, 1:] = c.days  # never revised
    doc, version = np.nonzero(effective < c.days)
    start = effective[doc, version]
    following = np.where(version + 1 < 5, effective[doc, np.minimum(version + 1, 4)], c.days)
    until = np.minimum(following, c.days)
    current = until == c.days
    reviewed = start + (rng.random(doc.size) * (until - start)).astype(np.int64)
    reviewed = np.where(
        current & ~stale[doc],
        np.maximum(start, c.days - 1 - rng.integers(0, 300, doc.size)),
        reviewed,
    )
    reviewed = np.where(stale[doc], start + rng.integers(0, 30, doc.size), reviewed)
    reviewed = np.minimum(reviewed, c.days - 1)
    yield Table(
        "controlled_documents",
        {
            "document_id": Cat(doc, [d[0] for d in _DOCUMENTS]),
            "version": version + 1,
            "title": Cat(doc, [d[1] for d in _DOCUMENTS]),
            "doc_type": Cat(
                np.array([("policy", "procedure", "standard").index(d[2]) for d in _DOCUMENTS])[
                    doc
                ],
                ("policy", "procedure", "standard"),
            ),
            "effective_on": c.day0 + start,
            "last_reviewed_on": c.day0 + reviewed,
            "requires_acknowledgement": np.array([d[3] for d in _DOCUMENTS])[doc],
        },
    )

    needs = np.flatnonzero(np.array([d[3] for d in _DOCUMENTS])[doc])
    member, k = (
        x.reshape(-1) for x in np.meshgrid(np.arange(staff.hired.size), needs, indexing="ij")
    )
    left = np.where(staff.left == NULL, c.days, staff.left)[member]
    since = np.maximum(staff.hired[member], start[k])
    at = c.t0 + since * DAY + (rng.exponential(4.0, member.size) * DAY).astype(np.int64)
    skipped = rng.random(member.size) < np.where(current[k], 0.03, 0.1)
    keep = (at < c.end) & (at < c.t0 + left * DAY) & ~skipped
    order = np.lexsort((version[k][keep], doc[k][keep], member[keep]))
    yield Table(
        "policy_acknowledgements",
        {
            "staff_id": staff.ids(member[keep][order]),
            "document_id": Cat(doc[k][keep][order], [d[0] for d in _DOCUMENTS]),
            "version": version[k][keep][order] + 1,
            "acknowledged_at": at[keep][order],
        },
    )


def _control_evidence(rng: np.random.Generator, added: np.random.Generator, c: Clock) -> Table:
    """Evidence per control per month, collected around month end, with a few gaps. The controls
    added later draw theirs from their own stream after the first ten's rows, which stay as
    they were."""
    first = _evidence_draws(rng, c, np.arange(len(_CONTROLS)))
    later = _evidence_draws(added, c, len(_CONTROLS) + np.arange(len(_ADDED_CONTROLS)))
    control, month, collected, kind = (np.concatenate(x) for x in zip(first, later, strict=True))
    return Table(
        "control_evidence",
        {
            "evidence_id": ids("ev_", np.arange(1, control.size + 1), 5),
            "control_id": Cat(control, _CONTROLS + _ADDED_CONTROLS),
            "period_month": c.day0 + month,
            "collected_at": collected,
            "evidence_type": Cat(kind, ("screenshot", "export", "attestation", "log")),
        },
    )


def _evidence_draws(
    rng: np.random.Generator, c: Clock, controls: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Control, month, collection time and kind of each piece, in the order collected."""
    months = c.months()
    control = np.repeat(controls, months.size)
    month = np.tile(months, controls.size)
    collected = c.t0 + (month + rng.integers(25, 38, month.size)) * DAY
    collected += time_of_day(rng, month.size, WORK_HOURS)
    keep = (collected < c.end) & (rng.random(month.size) >= 0.05)
    order = np.argsort(collected[keep], kind="stable")
    kind = rng.integers(0, 4, int(keep.sum()))
    return control[keep][order], month[keep][order], collected[keep][order], kind


def _regulatory_obligations(rng: np.random.Generator, c: Clock) -> Table:
    """Recurring and one-off deadlines, some ahead of the window's end: most met a few weeks
    early, a few late; two past ones planted as still not met (overdue), one kind waived."""
    template, due, lead = [], [], []
    for k, (*_, every, ahead) in enumerate(_RECURRING):
        first = int(rng.integers(20, every + 20))
        dues = np.arange(first, c.days + 120, every)
        template += [k] * dues.size
        due.append(dues)
        lead.append(np.full(dues.size, ahead))
    for k, (*_, days_from_end, _missed) in enumerate(_ONE_OFF):
        at = int(0.3 * c.days) if days_from_end is None else c.days + days_from_end
        template.append(len(_RECURRING) + k)
        due.append(np.array([at]))
        lead.append(np.array([180]))
    template, due, lead = np.array(template), np.concatenate(due), np.concatenate(lead)
    effective = np.maximum(due - lead, 0)
    n = due.size
    r = rng.random(n)
    early = np.maximum(due - rng.integers(0, 31, n), effective)
    met = np.where(r < 0.9, early, due + rng.integers(3, 41, n))  # 10 % late
    past = due < c.days
    met = np.where(past, met, np.minimum(early, c.days - 1 - rng.integers(0, 20, n)))
    met_ahead = ~past & (rng.random(n) < 0.25) & (met >= effective)
    one_off = template >= len(_RECURRING)
    missed = one_off & np.array([o[5] for o in _ONE_OFF])[np.maximum(template - len(_RECURRING), 0)]
    waived = template == _WAIVED
    unmet = np.where(past, met >= c.days, ~met_ahead) | missed | waived
    started = effective < c.days
    status = np.select(
        [waived, ~unmet, started & (rng.random(n) < 0.6)], [3, 2, 1], 0
    )  # open, in_progress, met, waived
    catalogue = _RECURRING + tuple((*o[:4], 0, 180) for o in _ONE_OFF)
    order = np.lexsort((template, due))
    return Table(
        "regulatory_obligations",
        {
            "obligation_id": ids("obl_", np.arange(1, n + 1), 4),
            "regulation": Cat(template[order], [t[0] for t in catalogue]),
            "jurisdiction": Cat(template[order], [t[1] for t in catalogue]),
            "requirement": Cat(template[order], [t[2] for t in catalogue]),
            "effective_on": c.day0 + effective[order],
            "due_on": c.day0 + due[order],
            "owner": Cat(template[order], [t[3] for t in catalogue]),
            "status": Cat(status[order], ("open", "in_progress", "met", "waived")),
            "met_on": np.where(unmet, NULL, c.day0 + met)[order],
        },
    )


def _data_transfers(rng: np.random.Generator, c: Clock) -> Table:
    """The register of restricted transfers: vendors starting over the window, a few ended;
    three without a safeguard (planted)."""
    n = len(_TRANSFERS)
    start = np.array([int(t[4] * c.days) for t in _TRANSFERS]) + rng.integers(0, 10, n)
    start = np.minimum(start, c.days - 1)
    end = np.array([NULL if t[5] is None else int(t[5] * c.days) for t in _TRANSFERS])
    end = np.where(end == NULL, NULL, np.maximum(end, start))
    order = np.argsort(start, kind="stable")
    safeguard = np.array([-1 if t[3] is None else _SAFEGUARDS.index(t[3]) for t in _TRANSFERS])
    return Table(
        "data_transfers",
        {
            "transfer_id": ids("xfer_", np.arange(1, n + 1), 3),
            "recipient": [_TRANSFERS[k][0] for k in order],
            "destination_country": [_TRANSFERS[k][1] for k in order],
            "data_category": Cat(
                np.array([t[2] for t in _TRANSFERS])[order], [r[0] for r in _RETENTION]
            ),
            "safeguard": Cat(safeguard[order], _SAFEGUARDS),
            "started_on": c.day0 + start[order],
            "ended_on": np.where(end == NULL, NULL, c.day0 + end)[order],
        },
    )
