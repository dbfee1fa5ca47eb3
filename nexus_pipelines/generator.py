"""A synthetic company whose raw exports make every playbook metric meaningful.

The data is generated from a few latent traits per user rather than table by table, because the
metrics only mean something when the tables agree with each other:

- Signups grow about 6% a month with a weekly rhythm; channels differ in volume, cost per signup
  and retention (referral and organic users stay, paid social churns), so CAC and LTV by channel
  disagree in the way real ones do. Marketing spend is derived from the same expected signups.
- Activation (``project_created`` within 7 days) is what separates a long-lived user from a
  tourist: activated users get a long lifetime and a high daily-visit probability, so cohort
  retention, feature adoption, paid conversion, NPS and churn-risk all follow from it. Sessions
  follow an hour-of-day curve, so some activity lands just after midnight UTC and calendar-day
  retention is not the same as 24-hour retention.
- Billing is a per-customer state machine (free -> trial -> paid -> up/downgrade, past due,
  cancel, churn, reactivation) whose periods abut, so MRR movements add up.
- Reliability is driven by incidents: a P0/P1 fails its service's probes while it lasts and
  brings a burst of ``outage`` tickets, and some incidents point at the deployment that caused
  them. Rates are set so that uptime and deploy frequency meet the playbook while MTTR misses it.
- Experiments carry known true effects (``TRUE_EFFECTS``) so the analysis can be checked against
  the truth; one has a deliberate sample-ratio mismatch. Re-engagement campaigns hold out a
  comparison group, and only targeted users get the extra comeback visits.
- Compliance tables are mostly clean with a handful of planted violations per control, so the
  adherence score is high but not perfect and every control has something to find.

All randomness comes from one seed split by table, so equal arguments give byte-identical files.
"""

from __future__ import annotations

import calendar
import zlib
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from nexus_pipelines.contract import Column, load_contract

DEMO_USERS = 20_000
DEMO_DAYS = 730
ACTIVATION_EVENT = "project_created"

# What the experiment analysis should find (relative lift of treatment over control).
TRUE_EFFECTS = {
    "exp_onboarding_checklist": "activation_7d: +10% relative lift (treatment)",
    "exp_pricing_page_copy": "trial_started_14d: no effect in either variant",
    "exp_dashboard_widgets": "sessions_14d (mean): +5% relative lift (treatment)",
    "exp_editor_redesign": "project_shared_7d: no effect; planned 50/50 but assigned 52/48 because"
    " crashing treatment sessions were never logged (sample-ratio mismatch)",
}

DAY = 86_400
NULL = np.iinfo(np.int64).min  # missing value in integer, date and timestamp columns
_US = 1_000_000
_USERS_PER_PART = 25_000  # events and feature usage are written per block of users
_EPOCH = date(1970, 1, 1)

_ARROW_TYPES = {
    "BIGINT": pa.int64(),
    "INTEGER": pa.int32(),
    "DOUBLE": pa.float64(),
    "BOOLEAN": pa.bool_(),
    "VARCHAR": pa.string(),
    "DATE": pa.date32(),
    "TIMESTAMPTZ": pa.timestamp("us", tz="UTC"),
    "MONEY": pa.decimal128(18, 2),
}

# Hour-of-day (UTC) weights of product use: a European peak with an American tail at night.
_HOURLY = np.array([
    1.2, 0.9, 0.6, 0.4, 0.3, 0.4, 0.7, 1.3, 2.3, 3.2, 3.8, 4.0,
    3.9, 4.1, 4.4, 4.5, 4.3, 3.9, 3.3, 2.9, 2.6, 2.3, 1.9, 1.5,
])  # fmt: skip
_WORK_HOURS = np.array([0.1] * 7 + [0.6, 1.5, 2.5, 3, 3, 2, 3, 3, 3, 2.5, 1.5, 0.6] + [0.2] * 5)
_SIGNUP_WEEKDAY = np.array([1.10, 1.15, 1.10, 1.05, 0.95, 0.75, 0.80])  # Monday first
_ACTIVE_WEEKDAY = np.array([1.0, 1.0, 1.0, 1.0, 0.95, 0.7, 0.75])
_MONTHLY_GROWTH = 0.06

CHANNELS = ("organic", "paid_search", "paid_social", "referral", "social", "content")
_CHANNEL_SHARE = np.array([0.30, 0.20, 0.15, 0.12, 0.10, 0.13])
_CHANNEL_ACTIVATION = np.array([1.05, 0.95, 0.85, 1.15, 0.95, 1.00])
_CHANNEL_RETENTION = np.array([1.10, 0.95, 0.70, 1.30, 0.90, 1.00])
_CHANNEL_COST_PER_SIGNUP = np.array([0.0, 60.0, 48.0, 9.0, 12.0, 20.0])  # EUR
_SEGMENTS = ("self_serve", "smb", "mid_market", "enterprise")
_SEGMENT_SHARE = np.array([0.65, 0.22, 0.10, 0.03])
PLANS = ("free", "starter", "pro", "business")
_PLAN_AT_SIGNUP = np.array(  # rows: segment; columns: plan
    [
        [0.80, 0.12, 0.07, 0.01],
        [0.62, 0.18, 0.15, 0.05],
        [0.50, 0.10, 0.25, 0.15],
        [0.35, 0.0, 0.2, 0.45],
    ]
)
_MONTHLY_PRICE = np.array([0, 1900, 4900, 14900])  # cents; an annual plan costs 10 months
_COUNTRIES = ("US", "GB", "DE", "FR", "NL", "ES", "IT", "SE", "PL", "CA", "AU", "IN", "BR", "JP")
_COUNTRY_SHARE = np.array([30, 10, 10, 7, 4, 5, 4, 3, 3, 6, 4, 6, 5, 3]) / 100
_TAX_RATE = np.array([0, 20, 19, 20, 21, 21, 22, 25, 23, 5, 10, 18, 0, 10]) / 100
# product id, name, launch and sunset as fractions of the window, share of signups
_PRODUCTS = (
    ("core", "Nexus Core", 0.0, None, 0.60),
    ("insights", "Nexus Insights", 0.2, None, 0.25),
    ("lite", "Nexus Lite", 0.0, 0.6, 0.15),
)
EVENT_NAMES = (
    "session_start",
    ACTIVATION_EVENT,
    "task_completed",
    "comment_added",
    "file_uploaded",
    "dashboard_viewed",
    "report_shared",
)
_CORE_EVENT_SHARE = np.array([0.0, 0.08, 0.30, 0.20, 0.14, 0.20, 0.08])
# feature, adoption among activated users, use per session by adopters, launch (fraction)
_FEATURES = (
    ("dashboards", 0.70, 0.45, 0.0),
    ("reports", 0.45, 0.35, 0.0),
    ("integrations", 0.25, 0.30, 0.0),
    ("automations", 0.15, 0.50, 0.0),
    ("mobile_app", 0.18, 0.40, 0.0),
    ("ai_assistant", 0.30, 0.45, 0.5),
)
# service id, product id, customer facing, production deploys per weekday, typical latency ms
_SERVICES = (
    ("api", "core", True, 1.2, 120.0),
    ("web_app", "core", True, 1.0, 180.0),
    ("insights_engine", "insights", True, 0.6, 350.0),
    ("auth", None, True, 0.3, 60.0),
    ("notifications", None, True, 0.3, 90.0),
    ("billing_worker", None, False, 0.3, 250.0),
    ("data_pipeline", None, False, 0.5, 900.0),
)
_FACING = np.array([s[2] for s in _SERVICES])
_SEVERITIES = ("P0", "P1", "P2", "P3")
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


_ROLES = (  # playbook role, department
    ("Studio Producer", "leadership"),
    ("Infrastructure Maintainer", "engineering"),
    ("DevOps Automator", "engineering"),
    ("Backend Architect", "engineering"),
    ("Frontend Developer", "engineering"),
    ("Support Responder", "support"),
    ("Analytics Reporter", "data"),
    ("Growth Hacker", "growth"),
    ("Content Creator", "growth"),
    ("Finance Tracker", "finance"),
    ("Legal Compliance Checker", "legal"),
    ("Feedback Synthesizer", "product"),
    ("Sprint Prioritizer", "product"),
    ("Experiment Tracker", "data"),
    ("Project Shepherd", "operations"),
)
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


class _Cat(NamedTuple):
    """A string column stored as codes into a small vocabulary (code -1 is NULL)."""

    codes: np.ndarray
    labels: Sequence[str | None]


class _Experiment(NamedTuple):
    experiment_id: str
    name: str
    metric: str
    metric_type: str
    window: tuple[float, float | None]  # fractions of the period; None = still running
    population: str  # "signups" (assigned at signup) or "active" (users seen in the window)
    variants: tuple[str, ...]
    planned: tuple[float, ...]
    assigned: tuple[float, ...]
    effects: tuple[float, ...]  # multiplier of the metric per variant
    base: float
    rolled_out: str | None


EXPERIMENTS = (
    _Experiment(
        "exp_onboarding_checklist", "Onboarding checklist", "activation_7d", "conversion",
        (0.05, 0.45), "signups", ("control", "treatment"), (0.5, 0.5), (0.5, 0.5), (1.0, 1.10),
        0.0, "treatment",
    ),
    _Experiment(
        "exp_pricing_page_copy", "Pricing page copy", "trial_started_14d", "conversion",
        (0.40, 0.55), "active", ("control", "value_copy", "social_proof"), (0.34, 0.33, 0.33),
        (0.34, 0.33, 0.33), (1.0, 1.0, 1.0), 0.08, None,
    ),
    _Experiment(
        "exp_dashboard_widgets", "Dashboard widgets", "sessions_14d", "mean", (0.55, 0.75),
        "active", ("control", "treatment"), (0.5, 0.5), (0.5, 0.5), (1.0, 1.05), 6.0, "treatment",
    ),
    _Experiment(
        "exp_editor_redesign", "Editor redesign", "project_shared_7d", "conversion", (0.78, None),
        "active", ("control", "treatment"), (0.5, 0.5), (0.52, 0.48), (1.0, 1.0), 0.40, None,
    ),
)  # fmt: skip
# campaign id, name, channel, start (fraction of the period)
_CAMPAIGNS = (
    ("cmp_winback_email", "Win-back email", "email", 0.30),
    ("cmp_comeback_push", "Come-back push", "push", 0.55),
    ("cmp_in_app_tips", "In-app tips", "in_app", 0.80),
)
_REVIVAL_CHANCE = {"targeted": 0.30, "holdout": 0.08}


def _ranges(counts: np.ndarray) -> np.ndarray:
    """0..k-1 for every k in counts, concatenated (the index within each repeated group)."""
    counts = np.asarray(counts, dtype=np.int64)
    starts = np.cumsum(counts) - counts
    return np.arange(int(counts.sum()), dtype=np.int64) - np.repeat(starts, counts)


def _time_of_day(rng: np.random.Generator, size: int, weights: np.ndarray = _HOURLY) -> np.ndarray:
    return rng.choice(24, size, p=weights / weights.sum()) * 3600 + rng.integers(0, 3600, size)


def _text(*parts: str | np.ndarray | pa.Array) -> pa.Array:
    """Element-wise concatenation of literals and integer or string arrays (for identifiers)."""
    converted = [
        part
        if isinstance(part, str | pa.Array)
        else pc.cast(pa.array(np.asarray(part, dtype=np.int64)), pa.string())
        for part in parts
    ]
    return pc.binary_join_element_wise(*converted, "")


def _ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    digits = pc.cast(pa.array(np.asarray(numbers, dtype=np.int64)), pa.string())
    return _text(prefix, pc.utf8_lpad(digits, width=width, padding="0"))


def _hex(rng: np.random.Generator, size: int, length: int = 40) -> pa.Array:
    """Random lowercase hex strings built straight into an Arrow buffer (commit hashes)."""
    chars = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)[
        rng.integers(0, 16, (size, length), dtype=np.uint8)
    ]
    offsets = np.arange(0, size * length + 1, length, dtype=np.int32)
    return pa.Array.from_buffers(
        pa.string(), size, [None, pa.py_buffer(offsets), pa.py_buffer(chars.tobytes())]
    )


def _labels(codes: np.ndarray, labels: Sequence[str | None]) -> pa.Array:
    """Strings from codes into a small vocabulary; code -1 is NULL."""
    codes = np.asarray(codes, dtype=np.int32)
    return pc.take(pa.array(list(labels), pa.string()), pa.array(codes, mask=codes < 0))


def _null_where(mask: np.ndarray, values: np.ndarray) -> np.ndarray:
    return np.where(mask, NULL, values)


def _to_arrow(column: Column, values: object) -> pa.Array:
    """One column in the contract's Arrow type; timestamps arrive as epoch seconds, dates as
    epoch days, money as integer cents, and NULL as NULL/NaN/None/code -1."""
    arrow_type = _ARROW_TYPES[column.type]
    if isinstance(values, pa.Array):
        return values if values.type == arrow_type else values.cast(arrow_type)
    if isinstance(values, _Cat):
        return _labels(values.codes, values.labels)
    if column.type == "VARCHAR":
        return pa.array(np.asarray(values, dtype=object), pa.string())
    if column.type == "BOOLEAN":
        return pa.array(np.asarray(values, dtype=bool))
    if column.type == "DOUBLE":
        floats = np.asarray(values, dtype=np.float64)
        return pa.array(floats, mask=np.isnan(floats))
    ints = np.asarray(values, dtype=np.int64)
    missing = ints == NULL
    mask = missing if missing.any() else None
    ints = np.where(missing, 0, ints)
    if column.type == "MONEY":
        words = np.empty((ints.size, 2), dtype=np.int64)  # little-endian 128-bit integers
        words[:, 0], words[:, 1] = ints, ints >> 63
        money = pa.Array.from_buffers(arrow_type, ints.size, [None, pa.py_buffer(words)])
        return money if mask is None else pc.if_else(mask, pa.scalar(None, arrow_type), money)
    if column.type == "TIMESTAMPTZ":
        ints = ints * _US
    if column.type == "DATE":
        ints = ints.astype(np.int32)
    return pa.array(ints, type=arrow_type, mask=mask)


class _Writer:
    """Writes contract tables as `<table>/part-NNNNN.<fmt>` with exactly the contract's columns."""

    def __init__(self, out_dir: Path, fmt: str) -> None:
        self.contract = load_contract()
        self.out_dir = out_dir
        self.fmt = fmt
        self.rows = dict.fromkeys(self.contract, 0)
        for name in self.contract:
            folder = out_dir / name
            folder.mkdir(parents=True, exist_ok=True)
            for stale in [*folder.glob("part-*.parquet"), *folder.glob("part-*.csv")]:
                stale.unlink()

    def write(self, name: str, columns: dict[str, object], part: int = 0) -> None:
        table = self.contract[name]
        if list(columns) != table.column_names:
            raise ValueError(f"{name}: columns {list(columns)} are not {table.column_names}")
        arrays = [_to_arrow(column, columns[column.name]) for column in table.columns]
        for column, array in zip(table.columns, arrays, strict=True):
            if array.null_count and not column.nullable:
                raise ValueError(f"{name}.{column.name}: generated NULLs in a NOT NULL column")
        schema = pa.schema(
            [pa.field(c.name, _ARROW_TYPES[c.type], nullable=c.nullable) for c in table.columns]
        )
        data = pa.Table.from_arrays(arrays, schema=schema)
        path = self.out_dir / name / f"part-{part:05d}.{self.fmt}"
        if self.fmt == "parquet":
            pq.write_table(data, path, compression="snappy")
        else:
            pa_csv.write_csv(_csv_ready(data), path)
        self.rows[name] += data.num_rows


def _csv_ready(data: pa.Table) -> pa.Table:
    """Timestamps as `2025-03-01T09:30:00Z`; the other types already print as the contract asks."""
    columns = [
        pc.strftime(column.cast(pa.timestamp("s", tz="UTC")), format="%Y-%m-%dT%H:%M:%SZ")
        if pa.types.is_timestamp(column.type)
        else column
        for column in data.columns
    ]
    return pa.Table.from_arrays(columns, names=data.column_names)


class _Clock:
    """The window [start, start + days) in epoch seconds and days."""

    def __init__(self, start: date, days: int) -> None:
        self.start = start
        self.days = days
        self.t0 = calendar.timegm(start.timetuple())
        self.end = self.t0 + days * DAY
        self.day0 = (start - _EPOCH).days

    def weekday(self, day: np.ndarray) -> np.ndarray:
        """Monday = 0 for day indices relative to the start."""
        return (self.start.weekday() + np.asarray(day)) % 7

    def months(self, extra: int = 0) -> np.ndarray:
        """Day indices of the first days of months inside the window (plus `extra` after it)."""
        first = np.datetime64(self.start, "M")
        last = np.datetime64(self.start + timedelta(days=self.days - 1), "M") + extra
        starts = np.arange(first, last + 1).astype("datetime64[D]")
        offsets = (starts - np.datetime64(self.start, "D")).astype(np.int64)
        return offsets[offsets >= 0]

    def day_of_month(self, day: np.ndarray) -> np.ndarray:
        dates = np.datetime64(self.start, "D") + np.asarray(day)
        return (dates - dates.astype("datetime64[M]").astype("datetime64[D]")).astype(int) + 1

    def snapshot_days(self) -> np.ndarray:
        """Monthly snapshot days: the start and every first of a month after it."""
        return np.unique(np.concatenate([[0], self.months()]))


class _Users(NamedTuple):
    """Per-user latent traits (index i is user_id i + 1)."""

    signup: np.ndarray  # epoch seconds
    day: np.ndarray  # signup day index
    channel: np.ndarray
    segment: np.ndarray
    plan: np.ndarray
    country: np.ndarray
    product: np.ndarray
    referrer: np.ndarray  # index, -1 when none
    activated: np.ndarray
    long_lived: np.ndarray
    life: np.ndarray  # days of activity after signup
    visit: np.ndarray  # daily visit probability while alive


class _Company:
    """Generates every table from shared latent state, one domain per method."""

    def __init__(self, writer: _Writer, users: int, days: int, start: date, seed: int) -> None:
        self.writer = writer
        self.n = users
        self.clock = _Clock(start, days)
        self.seed = seed
        self.scale = (users / days) / (DEMO_USERS / DEMO_DAYS)  # signups/day vs the demo
        self.assignments: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}

    def rng(self, name: str) -> np.random.Generator:
        return np.random.default_rng([self.seed, zlib.crc32(name.encode())])

    def write(self, name: str, columns: dict[str, object], part: int = 0) -> None:
        self.writer.write(name, columns, part)

    def day_of(self, seconds: np.ndarray) -> np.ndarray:
        return (np.asarray(seconds) - self.clock.t0) // DAY

    def window(self, fraction: float | None) -> int:
        return self.clock.days if fraction is None else int(fraction * self.clock.days)

    def run(self) -> None:
        self.products()
        self.users()
        self.campaigns()
        self.activity()
        self.invites()
        self.billing()
        self.staff()
        self.money()
        self.reliability()
        self.support()
        self.voice()
        self.experiments()
        self.content()
        self.compliance()
        self.work_items()

    # ------------------------------------------------------------------ product
    def products(self) -> None:
        c = self.clock
        self.launch = np.array([self.window(p[2]) for p in _PRODUCTS])
        self.sunset = np.array([self.window(p[3]) for p in _PRODUCTS])
        self.write(
            "products",
            {
                "product_id": [p[0] for p in _PRODUCTS],
                "name": [p[1] for p in _PRODUCTS],
                "launched_on": c.day0 + self.launch,
                "status": _Cat((self.sunset < c.days).astype(np.int8), ("active", "sunset")),
            },
        )

    def users(self) -> None:
        rng, c, n = self.rng("users"), self.clock, self.n
        days = np.arange(c.days)
        growth = np.log1p(_MONTHLY_GROWTH) / 30.44
        weight = np.exp(growth * days) * _SIGNUP_WEEKDAY[c.weekday(days)]
        weight *= rng.lognormal(0, 0.1, c.days)
        self.signup_rate = n * weight / weight.sum()  # expected signups per day
        day = rng.choice(c.days, n, p=weight / weight.sum())
        signup = np.sort(c.t0 + day * DAY + _time_of_day(rng, n))
        day = self.day_of(signup)
        channel = rng.choice(len(CHANNELS), n, p=_CHANNEL_SHARE)
        channel[0] = 0  # nobody can refer the first user
        segment = rng.choice(len(_SEGMENTS), n, p=_SEGMENT_SHARE)
        cumulative = _PLAN_AT_SIGNUP.cumsum(axis=1)[segment]
        plan = (rng.random(n)[:, None] > cumulative).sum(axis=1).clip(0, 3)
        product = rng.choice(len(_PRODUCTS), n, p=[p[4] for p in _PRODUCTS])
        unavailable = (day < self.launch[product]) | (day >= self.sunset[product])
        product[unavailable] = 0

        # The onboarding experiment changes activation itself, so it is assigned here.
        activation = 0.60 * _CHANNEL_ACTIVATION[channel]
        onboarding = EXPERIMENTS[0]
        lo, hi = self.window(onboarding.window[0]), self.window(onboarding.window[1])
        enrolled = np.flatnonzero((day >= lo) & (day < hi))
        variant = self.assign(rng, enrolled.size, onboarding.assigned)
        activation[enrolled] *= np.asarray(onboarding.effects)[variant]
        activated = rng.random(n) < activation
        self.assignments[onboarding.experiment_id] = (enrolled, variant, signup[enrolled])

        long_lived = rng.random(n) < np.where(activated, 0.50, 0.08) * _CHANNEL_RETENTION[channel]
        short_life = rng.exponential(np.where(activated, 14.0, 5.0))
        life = np.where(long_lived, rng.exponential(700.0, n), short_life)
        visit = np.clip(rng.normal(np.where(activated, 0.78, 0.45), 0.12), 0.05, 0.97)

        # Referrers: earlier users, preferring engaged ones (the best of three candidates).
        candidates = np.floor(rng.random((n, 3)) * np.arange(n)[:, None]).astype(np.int64)
        engaged = long_lived[candidates]
        best = candidates[np.arange(n), np.argmax(engaged, axis=1)]
        referrer = np.where(channel == CHANNELS.index("referral"), best, -1)
        country = rng.choice(len(_COUNTRIES), n, p=_COUNTRY_SHARE)
        self.u = _Users(
            signup, day, channel, segment, plan, country, product, referrer, activated,
            long_lived, life, visit,
        )  # fmt: skip
        self.last_seen = np.minimum(signup + (life * DAY).astype(np.int64), c.end - 1)
        self.write(
            "users",
            {
                "user_id": np.arange(1, n + 1),
                "signup_at": signup,
                "acquisition_channel": _Cat(channel, CHANNELS),
                "referrer_user_id": np.where(referrer >= 0, referrer + 1, NULL),
                "plan": _Cat(plan, PLANS),
                "segment": _Cat(segment, _SEGMENTS),
                "country": _Cat(country, _COUNTRIES),
                "product_id": _Cat(product, [p[0] for p in _PRODUCTS]),
            },
        )

    @staticmethod
    def assign(rng: np.random.Generator, size: int, shares: Sequence[float]) -> np.ndarray:
        """Blocked randomisation: exact shares (up to rounding), shuffled."""
        counts = np.floor(np.asarray(shares) * size + 0.5).astype(np.int64)
        counts[-1] = size - counts[:-1].sum()
        codes = np.repeat(np.arange(len(shares)), counts)
        rng.shuffle(codes)
        return codes

    # ------------------------------------------------------------------ campaigns, activity
    def campaigns(self) -> None:
        """Lapsed users are selected; targeted ones come back more often than the holdout."""
        rng, c, u = self.rng("campaigns"), self.clock, self.u
        rows, revival_user, revival_day = [], [], []
        for number, (_, _, _, fraction) in enumerate(_CAMPAIGNS):
            day = self.window(fraction)
            lapsed_on = u.day + u.life
            eligible = np.flatnonzero(
                (u.day <= day - 14) & (lapsed_on < day - 7) & (lapsed_on >= day - 180)
            )
            chosen = eligible[rng.random(eligible.size) < 0.7]
            targeted = rng.random(chosen.size) < 0.75
            selected = c.t0 + day * DAY + rng.integers(0, DAY, chosen.size)
            rows.append((np.full(chosen.size, number), chosen, targeted, selected))
            chance = np.where(targeted, _REVIVAL_CHANCE["targeted"], _REVIVAL_CHANCE["holdout"])
            back = chosen[rng.random(chosen.size) < chance]
            visits = 1 + rng.poisson(1.5, back.size)
            revival_user.append(np.repeat(back, visits))
            revival_day.append(day + rng.integers(1, 15, visits.sum()))
        users, days = np.concatenate(revival_user), np.concatenate(revival_day)
        order = np.argsort(users, kind="stable")
        keep = days[order] < c.days
        self.revival_user, self.revival_day = users[order][keep], days[order][keep]
        number, user, targeted, selected = (np.concatenate(x) for x in zip(*rows, strict=True))
        self.write(
            "campaigns",
            {
                "campaign_id": [x[0] for x in _CAMPAIGNS],
                "name": [x[1] for x in _CAMPAIGNS],
                "channel": [x[2] for x in _CAMPAIGNS],
                "started_at": c.t0 + np.array([self.window(x[3]) for x in _CAMPAIGNS]) * DAY,
            },
        )
        self.write(
            "campaign_targets",
            {
                "campaign_id": _Cat(number, [x[0] for x in _CAMPAIGNS]),
                "user_id": user + 1,
                "target_group": _Cat(np.where(targeted, 0, 1), ("targeted", "holdout")),
                "selected_at": selected,
            },
        )

    def activity(self) -> None:
        """Events and feature usage, written in blocks of users to bound memory."""
        adoption_rng = self.rng("feature_adoption")
        boost = np.where(self.u.activated, 1.0, 0.35)
        self.adopted = [adoption_rng.random(self.n) < f[1] * boost for f in _FEATURES]
        next_event, next_usage = 1, 1
        for part, lo in enumerate(range(0, self.n, _USERS_PER_PART)):
            hi = min(lo + _USERS_PER_PART, self.n)
            events, usage = self.activity_block(part, lo, hi, next_event, next_usage)
            next_event += events
            next_usage += usage

    def activity_block(
        self, part: int, lo: int, hi: int, first_event: int, first_usage: int
    ) -> tuple[int, int]:
        rng, c, u = self.rng(f"activity/{part}"), self.clock, self.u
        users = np.arange(lo, hi)
        alive = np.minimum(np.floor(u.life[users]), c.days - 1 - u.day[users]).astype(np.int64)
        day_user = np.repeat(users, np.maximum(alive, 0))
        day = u.day[day_user] + 1 + _ranges(np.maximum(alive, 0))
        visits = rng.random(day.size) < u.visit[day_user] * _ACTIVE_WEEKDAY[c.weekday(day)]
        r0, r1 = np.searchsorted(self.revival_user, [lo, hi])
        day_user = np.concatenate([day_user[visits], self.revival_user[r0:r1]])
        day = np.concatenate([day[visits], self.revival_day[r0:r1]])

        # Sessions: one at signup, then 1+ on each active day.
        per_day = 1 + rng.poisson(0.35, day.size)
        s_user = np.concatenate([users, np.repeat(day_user, per_day)])
        s_start = np.concatenate(
            [
                u.signup[users],
                c.t0 + np.repeat(day, per_day) * DAY + _time_of_day(rng, int(per_day.sum())),
            ]
        )
        rows = 1 + rng.poisson(np.where(u.activated[s_user], 2.6, 1.3))
        e_user = np.repeat(s_user, rows)
        first = np.cumsum(rows) - rows
        gap = rng.exponential(240.0, e_user.size).astype(np.int64) + 1
        gap[first] = 0
        elapsed = np.cumsum(gap)
        e_time = np.repeat(s_start, rows) + elapsed - np.repeat(elapsed[first], rows)
        e_name = rng.choice(len(EVENT_NAMES), e_user.size, p=_CORE_EVENT_SHARE).astype(np.int8)
        e_name[first] = 0

        # Activation: most within minutes of signup, the rest on a return visit within 5 days.
        act = users[u.activated[users]]
        soon = rng.random(act.size) < 0.7
        lag = np.where(soon, 60 + rng.exponential(900.0, act.size), rng.uniform(3600, 5 * DAY))
        act_time = u.signup[act] + lag.astype(np.int64)
        late = ~soon
        e_user = np.concatenate([e_user, act, act[late]])
        e_time = np.concatenate([e_time, act_time, act_time[late] - 60])
        e_name = np.concatenate(
            [e_name, np.full(act.size, 1, np.int8), np.zeros(int(late.sum()), np.int8)]
        )
        # Users who never activated do not create a project in their first week.
        early = (e_time - u.signup[e_user] < 8 * DAY) & ~u.activated[e_user] & (e_name == 1)
        e_name[early] = EVENT_NAMES.index("dashboard_viewed")

        keep = e_time < c.end
        e_user, e_time, e_name = e_user[keep], e_time[keep], e_name[keep]
        order = np.argsort(e_user * (c.days * DAY) + (e_time - c.t0))
        e_user, e_time, e_name = e_user[order], e_time[order], e_name[order]
        products = [p[0] for p in _PRODUCTS]
        self.write(
            "events",
            {
                "event_id": np.arange(first_event, first_event + e_user.size),
                "user_id": e_user + 1,
                "occurred_at": e_time,
                "event_name": _Cat(e_name, EVENT_NAMES),
                "product_id": _Cat(u.product[e_user], products),
            },
            part,
        )
        return e_user.size, self.feature_usage(rng, part, s_user, s_start, first_usage)

    def feature_usage(
        self,
        rng: np.random.Generator,
        part: int,
        s_user: np.ndarray,
        s_start: np.ndarray,
        first_usage: int,
    ) -> int:
        c = self.clock
        f_user, f_time, f_code = [], [], []
        for code, (_, _, per_session, launch) in enumerate(_FEATURES):
            used = self.adopted[code][s_user] & (rng.random(s_user.size) < per_session)
            used &= s_start >= c.t0 + self.window(launch) * DAY
            f_user.append(s_user[used])
            f_time.append(s_start[used] + rng.integers(30, 900, int(used.sum())))
            f_code.append(np.full(int(used.sum()), code, np.int8))
        user, time, code = np.concatenate(f_user), np.concatenate(f_time), np.concatenate(f_code)
        keep = time < c.end
        user, time, code = user[keep], time[keep], code[keep]
        order = np.argsort(user * (c.days * DAY) + (time - c.t0))
        self.write(
            "feature_usage",
            {
                "usage_id": np.arange(first_usage, first_usage + user.size),
                "user_id": user[order] + 1,
                "feature": _Cat(code[order], [f[0] for f in _FEATURES]),
                "used_at": time[order],
            },
            part,
        )
        return user.size

    def invites(self) -> None:
        """Every referral signup has an accepted invite; most invites are never accepted."""
        rng, u = self.rng("invites"), self.u
        referred = np.flatnonzero(u.referrer >= 0)
        inviter = u.referrer[referred]
        room = u.signup[referred] - u.signup[inviter]
        sent = u.signup[referred] - np.minimum(rng.exponential(2 * DAY, referred.size), room)
        pool = np.flatnonzero(u.activated)
        lost = pool[rng.integers(0, pool.size, int(referred.size * 3.5) + 5)]
        span = np.maximum(self.last_seen[lost] - u.signup[lost], 0)
        lost_sent = u.signup[lost] + (rng.random(lost.size) * span).astype(np.int64)
        inviters = np.concatenate([inviter, lost])
        sent_at = np.concatenate([sent.astype(np.int64), lost_sent])
        accepted = np.concatenate([referred, np.full(lost.size, -1)])
        order = np.argsort(sent_at, kind="stable")
        inviters, sent_at, accepted = inviters[order], sent_at[order], accepted[order]
        self.write(
            "invites",
            {
                "invite_id": np.arange(1, inviters.size + 1),
                "inviter_user_id": inviters + 1,
                "sent_at": sent_at,
                "accepted_user_id": np.where(accepted >= 0, accepted + 1, NULL),
                "accepted_at": np.where(accepted >= 0, u.signup[np.maximum(accepted, 0)], NULL),
            },
        )

    # ------------------------------------------------------------------ billing
    def billing(self) -> None:
        """A per-customer state machine stepped for all customers at once; periods abut."""
        rng, c, u = self.rng("billing"), self.clock, self.u
        free, trial, paid, past_due, canceled, churned, done = range(7)
        month = int(30.44 * DAY)
        state = np.where(u.plan > 0, trial, free)
        plan = u.plan.copy()
        yearly = np.zeros(self.n, bool)
        time = u.signup.copy()
        subscription = np.ones(self.n, np.int64)
        period_no = np.zeros(self.n, np.int64)
        may_trial = np.ones(self.n, bool)
        try_p = np.clip(0.04 + 0.22 * u.activated + 0.30 * u.long_lived, 0, 0.9)
        convert_p = np.clip(0.12 + 0.25 * u.activated + 0.30 * u.long_lived, 0, 0.85)
        out: list[tuple[np.ndarray, ...]] = []
        active = np.arange(self.n)
        while active.size:
            st, m = state[active], active.size
            r = rng.random(m)
            duration = np.full(m, 10 * c.end, np.int64)  # "forever"
            nxt, new_plan, new_yearly = np.full(m, done), plan[active].copy(), yearly[active].copy()

            is_free = st == free
            goes = is_free & may_trial[active] & (r < try_p[active])
            duration[goes] = (DAY + rng.exponential(45 * DAY, m)).astype(np.int64)[goes]
            nxt[goes] = trial
            new_plan[goes] = rng.choice([1, 2, 3], m, p=[0.55, 0.35, 0.10])[goes]

            is_trial = st == trial
            converts = r < convert_p[active]
            duration[is_trial] = 14 * DAY
            nxt[is_trial] = np.where(converts, paid, free)[is_trial]
            new_plan[is_trial & ~converts] = 0
            new_yearly[is_trial] = (converts & (rng.random(m) < 0.2))[is_trial]
            may_trial[active[is_trial & ~converts]] = False

            is_paid = st == paid
            is_year = yearly[active]
            months = np.where(is_year, 12 * rng.geometric(0.45, m), rng.exponential(12.0, m) + 0.3)
            duration[is_paid] = (months * month).astype(np.int64)[is_paid]
            up = np.where(is_year, r < 0.15, r < 0.18) & (plan[active] < 3)
            down = ~is_year & (r >= 0.18) & (r < 0.30) & (plan[active] > 1)
            to_past_due = ~is_year & (r >= 0.30) & (r < 0.42)
            switch = np.where(is_year, (r >= 0.15) & (r < 0.35), (r >= 0.42) & (r < 0.47))
            leaves = ~(up | down | to_past_due | switch)
            cancels_first = rng.random(m) < 0.4
            outcome = [up | down | switch, to_past_due, leaves & cancels_first]
            nxt[is_paid] = np.select(outcome, [paid, past_due, canceled], churned)[is_paid]
            new_plan[is_paid & up] += 1
            new_plan[is_paid & down] -= 1
            new_yearly[is_paid & switch] = ~is_year[is_paid & switch]

            is_due = st == past_due
            duration[is_due] = rng.integers(3 * DAY, 14 * DAY, m)[is_due]
            nxt[is_due] = np.where(r < 0.7, paid, churned)[is_due]

            is_canceled = st == canceled
            duration[is_canceled] = rng.integers(DAY, 30 * DAY, m)[is_canceled]
            nxt[is_canceled] = churned

            # Churned customers emit no period; some come back months later on a new subscription.
            is_churned = st == churned
            returns = is_churned & (r < 0.15)
            duration[returns] = (30 * DAY + rng.exponential(120 * DAY, m)).astype(np.int64)[returns]
            nxt[returns] = paid
            new_plan[returns] = rng.choice([1, 2, 3], m, p=[0.5, 0.4, 0.1])[returns]
            new_yearly[returns] = False
            subscription[active[returns]] += 1

            emits = ~is_churned
            ends = time[active] + duration
            open_ = ends >= c.end
            status = np.select([is_trial, is_due, is_canceled], [0, 2, 3], 1)
            e = active[emits]
            out.append(
                (
                    e,
                    period_no[e],
                    subscription[e],
                    plan[e],
                    yearly[e],
                    status[emits],
                    time[e],
                    np.where(open_, NULL, ends)[emits],
                )
            )
            period_no[e] += 1
            state[active], plan[active], yearly[active] = nxt, new_plan, new_yearly
            time[active] = ends
            active = active[~open_ & (nxt != done)]

        cust, number, sub, plan_, year, status, started, ended = (
            np.concatenate(x) for x in zip(*out, strict=True)
        )
        order = np.lexsort((started, cust))
        cust, number, sub, plan_, year, status, started, ended = (
            x[order] for x in (cust, number, sub, plan_, year, status, started, ended)
        )
        amount = np.where(year, np.round(_MONTHLY_PRICE[plan_] * 10 / 12), _MONTHLY_PRICE[plan_])
        self.write(
            "subscription_periods",
            {
                "period_id": _text("per_", cust + 1, "_", number + 1),
                "subscription_id": _text("sub_", cust + 1, "_", sub),
                "customer_id": cust + 1,
                "plan": _Cat(plan_, PLANS),
                "billing_interval": _Cat(year.astype(np.int8), ("month", "year")),
                "monthly_amount": amount.astype(np.int64),
                "status": _Cat(status, ("trialing", "active", "past_due", "canceled")),
                "started_at": started,
                "ended_at": ended,
            },
        )
        self.invoices(rng, cust, plan_, year, status, started, ended)

    def invoices(
        self,
        rng: np.random.Generator,
        cust: np.ndarray,
        plan: np.ndarray,
        year: np.ndarray,
        status: np.ndarray,
        started: np.ndarray,
        ended: np.ndarray,
    ) -> None:
        """A subscription invoice per billing cycle of paid periods, plus one-offs and refunds."""
        c, u = self.clock, self.u
        billed = (plan > 0) & ((status == 1) | (status == 2))
        cycle = np.where(year, 365 * DAY, int(30.44 * DAY))
        stop = np.where(ended == NULL, c.end, ended)
        count = np.where(status == 2, 1, -(-(stop - started) // cycle))
        count = np.where(billed, np.maximum(count, 1), 0)
        period = np.repeat(np.arange(cust.size), count)
        issued = started[period] + _ranges(count) * cycle[period]
        who = cust[period]
        amount = np.where(
            year[period], _MONTHLY_PRICE[plan[period]] * 10, _MONTHLY_PRICE[plan[period]]
        )
        kind = np.zeros(who.size, np.int8)

        payers = np.unique(who)
        one_off = payers[rng.random(payers.size) < 0.04]
        first_paid = u.signup[one_off] + rng.integers(DAY, 40 * DAY, one_off.size)
        one_amount = rng.choice([25000, 50000, 150000], one_off.size, p=[0.5, 0.35, 0.15])
        refunded = rng.random(who.size) < 0.025
        refund_amount = np.where(rng.random(who.size) < 0.6, amount, amount // 2)[refunded]
        refund_time = issued[refunded] + rng.integers(DAY, 10 * DAY, int(refunded.sum()))

        who = np.concatenate([who, one_off, who[refunded]])
        issued = np.concatenate([issued, first_paid, refund_time])
        amount = np.concatenate([amount, one_amount, refund_amount]).astype(np.int64)
        kind = np.concatenate([kind, np.full(one_off.size, 1), np.full(refund_time.size, 2)])
        keep = issued < c.end
        who, issued, amount, kind = who[keep], issued[keep], amount[keep], kind[keep]
        order = np.lexsort((kind, who, issued))
        who, issued, amount, kind = who[order], issued[order], amount[order], kind[order]
        tax = np.round(amount * _TAX_RATE[u.country[who]]).astype(np.int64)
        self.revenue = (issued, np.where(kind == 2, -amount, amount))
        self.write(
            "invoices",
            {
                "invoice_id": _ids("inv_", np.arange(1, who.size + 1), 8),
                "customer_id": who + 1,
                "issued_at": issued,
                "kind": _Cat(kind, ("subscription", "one_off", "refund")),
                "amount": amount,
                "tax_amount": tax,
            },
        )

    # ------------------------------------------------------------------ money
    def money(self) -> None:
        """Marketing spend follows expected signups; costs roll it up per month and vendor."""
        rng, c = self.rng("money"), self.clock
        # channel (index or -1), campaign, vendor, share of the channel's spend
        lines = (
            (1, "search_generic", "google_ads", 0.6),
            (1, "search_competitor", "google_ads", 0.4),
            (2, "social_prospecting", "meta_ads", 0.7),
            (2, "social_retargeting", "meta_ads", 0.3),
            (3, "referral_rewards", "referral_program", 1.0),
            (4, "creator_partnerships", "creator_network", 1.0),
            (5, "seo_articles", "content_agency", 1.0),
            (-1, "brand_awareness", "brand_agency", 1.0),
            (-1, None, "events_company", 1.0),
        )
        days = np.arange(c.days)
        expected = self.signup_rate
        per_line = []
        for channel, _, _, share in lines[:-2]:
            cpa = _CHANNEL_COST_PER_SIGNUP[channel]
            per_line.append(expected * _CHANNEL_SHARE[channel] * cpa * share)
        per_line.append(0.15 * np.sum(per_line, axis=0))  # brand: no channel can claim it
        per_line.append(np.where(c.day_of_month(days) == 15, 4000.0 * self.scale, 0.0))
        spend = np.array(per_line) * rng.lognormal(0, 0.2, (len(lines), c.days))
        cents = np.round(spend * 100).astype(np.int64)
        line, day = np.nonzero(cents > 0)
        order = np.lexsort((line, day))
        line, day = line[order], day[order]
        amount = cents[line, day]
        line_channel = np.array([x[0] for x in lines])
        named = np.array([x[1] is not None for x in lines])
        campaigns = [x[1] or "" for x in lines]
        self.write(
            "marketing_spend",
            {
                "spend_id": _ids("sp_", np.arange(1, day.size + 1), 7),
                "spend_date": c.day0 + day,
                "channel": _Cat(line_channel[line], CHANNELS),
                "campaign": _Cat(np.where(named, np.arange(len(lines)), -1)[line], campaigns),
                "amount": amount,
            },
        )

        months = c.months()
        month_of_day = np.searchsorted(months, days, side="right") - 1
        vendors = sorted({x[2] for x in lines})
        vendor_of_line = np.array([vendors.index(x[2]) for x in lines])
        counted = month_of_day[day] >= 0
        marketing = np.zeros((months.size, len(vendors)), np.int64)
        np.add.at(
            marketing, (month_of_day[day][counted], vendor_of_line[line][counted]), amount[counted]
        )

        # Other costs: category, vendor, product index (-1 = shared), EUR per month
        staff_months = self.employed(months).sum(axis=0)
        alive = self.alive_by_product(months)
        items: list[tuple[int, str, int, np.ndarray]] = []
        for p in range(len(_PRODUCTS)):
            launched = (months >= self.launch[p]) & (months < self.sunset[p] + 60)
            items.append((0, "aws", p, launched * (800 * self.scale + 0.6 * alive[:, p])))
            items.append((2, "contractors", p, launched * 6000.0))
        total_alive = alive.sum(axis=1)
        items += [
            (0, "aws", -1, 1500 * self.scale + 0.3 * total_alive),
            (0, "cloudflare", -1, np.full(months.size, 300 + 200 * self.scale)),
            (2, "payroll", -1, staff_months * 5200.0),
            (3, "github", -1, staff_months * 21.0),
            (3, "slack", -1, staff_months * 8.0),
            (3, "datadog", -1, 400 * self.scale + 0.05 * total_alive),
            (3, "zendesk", -1, np.full(months.size, 300 + 600 * self.scale)),
            (3, "hubspot", -1, np.full(months.size, 800.0)),
        ]
        cat, vendor, product, month_idx, value = [], [], [], [], []
        for category, name, p, base in items:
            cents_ = np.round(base * rng.lognormal(0, 0.05, months.size) * 100).astype(np.int64)
            used = np.flatnonzero(cents_ > 0)
            cat.append(np.full(used.size, category))
            vendor.append(np.full(used.size, name, dtype=object))
            product.append(np.full(used.size, p))
            month_idx.append(used)
            value.append(cents_[used])
        m_idx, v_idx = np.nonzero(marketing)
        cat.append(np.full(m_idx.size, 1))
        vendor.append(np.array(vendors, dtype=object)[v_idx])
        product.append(np.full(m_idx.size, -1))
        month_idx.append(m_idx)
        value.append(marketing[m_idx, v_idx])
        cat_, vendor_, product_, month_, value_ = (
            np.concatenate(x) for x in (cat, vendor, product, month_idx, value)
        )
        order = np.lexsort((cat_, month_))
        cat_, vendor_, product_, month_, value_ = (
            x[order] for x in (cat_, vendor_, product_, month_, value_)
        )
        categories = ("infrastructure", "marketing", "team", "tools")
        self.write(
            "costs",
            {
                "cost_id": _ids("cost_", np.arange(1, cat_.size + 1), 6),
                "month": c.day0 + months[month_],
                "category": _Cat(cat_, categories),
                "vendor": vendor_,
                "product_id": _Cat(product_, [p[0] for p in _PRODUCTS]),
                "amount": value_,
            },
        )

        # Budgets: actuals with planning error (some months over), and the next three months.
        actual = np.zeros((months.size, 4), np.int64)
        np.add.at(actual, (month_, cat_), value_)
        future = c.months(extra=3)
        future = future[future >= c.days]
        trend = actual[-2:].max(axis=0)  # the last month may be partial
        planned = np.vstack(
            [actual * rng.uniform(0.9, 1.12, actual.shape)]
            + [trend * 1.04 ** (k + 1) for k in range(future.size)]
        )
        planned = (np.round(planned / 10000) * 10000).astype(np.int64)
        budget_months = np.concatenate([months, future])
        self.write(
            "budgets",
            {
                "month": np.repeat(c.day0 + budget_months, 4),
                "category": _Cat(np.tile(np.arange(4), budget_months.size), categories),
                "amount": planned.reshape(-1),
            },
        )

        # Cash at the start of the window and of every month: revenue in, costs out.
        dates = c.snapshot_days()
        issued, revenue = self.revenue
        received = np.concatenate([[0], np.cumsum(revenue[np.argsort(issued)])])
        cash_in = received[np.searchsorted(np.sort(issued), c.t0 + dates * DAY)]
        spent = np.concatenate([[0], np.cumsum(actual.sum(axis=1))])
        cash_out = spent[np.searchsorted(months, dates)]
        opening = round(3_000_000 + 2_000_000 * self.scale) * 100
        self.write(
            "cash_balances",
            {"as_of_date": c.day0 + dates, "cash_amount": opening + cash_in - cash_out},
        )

    def alive_by_product(self, months: np.ndarray) -> np.ndarray:
        """Users alive at each month start per product (drives infrastructure cost)."""
        u = self.u
        end_day = u.day + u.life
        alive = (u.day[None, :] <= months[:, None]) & (end_day[None, :] >= months[:, None])
        return np.stack([(alive & (u.product == p)).sum(axis=1) for p in range(len(_PRODUCTS))], 1)

    # ------------------------------------------------------------------ reliability
    def reliability(self) -> None:
        rng, c = self.rng("reliability"), self.clock
        products = [p[0] for p in _PRODUCTS]
        self.write(
            "services",
            {
                "service_id": [s[0] for s in _SERVICES],
                "product_id": _Cat(
                    np.array([products.index(s[1]) if s[1] else -1 for s in _SERVICES]), products
                ),
                "customer_facing": np.array([s[2] for s in _SERVICES]),
            },
        )
        service, deployed, env, failed = self.deployments(rng)
        rolled_back = ~failed & (rng.random(deployed.size) < 0.02)
        deployment_ids = _ids("dep_", np.arange(1, deployed.size + 1), 6)

        # Incidents: a third follow a production deployment, the rest come out of the blue.
        n = max(8, int(rng.poisson(c.days / 5)))
        severity = rng.choice(4, n, p=[0.04, 0.16, 0.40, 0.40])
        weight = np.where(_FACING, 1.5, 1.0)
        where = rng.choice(len(_SERVICES), n, p=weight / weight.sum())
        detected = c.t0 + rng.integers(0, c.days * DAY - 6 * 3600, n)
        production = np.flatnonzero((env == 0) & ~failed)
        cause = production[rng.integers(0, production.size, n)]
        after_deploy = deployed[cause] + 60 + rng.exponential(1800, n).astype(np.int64)
        caused = (rng.random(n) < 0.35) & (after_deploy < c.end - 6 * 3600)
        where = np.where(caused, service[cause], where)
        detected = np.where(caused, after_deploy, detected)
        insights = [s[0] for s in _SERVICES].index("insights_engine")
        where[(where == insights) & ~caused & (detected < c.t0 + self.launch[1] * DAY)] = 0
        # Every period has at least one P0 and one P1 outage of a customer-facing service.
        severity[:2], caused[:2] = (0, 1), False
        where[:2] = rng.choice(np.flatnonzero(_FACING), 2)
        detected[:2] = c.t0 + rng.integers(c.days * DAY // 4, c.days * DAY * 3 // 4, 2)
        rolled_back[cause[caused & (severity <= 1) & (rng.random(n) < 0.6)]] = True
        # Acknowledgement and repair times per severity: most incidents are fixed within an hour
        # or two, so the mean time to restore is 60-90 minutes, above the playbook's 30.
        ack_mean = np.array([240, 900, 1800, 2400])[severity]
        acknowledged = detected + 30 + rng.exponential(ack_mean).astype(np.int64)
        fix = np.array([30, 45, 60, 75])[severity] * 60 * rng.lognormal(0, 0.6, n)
        fixed = np.maximum(acknowledged + 60, detected + fix.astype(np.int64))
        # Minor incidents are sometimes left open, but only recent ones: an incident open for
        # months would be a data error, not operations.
        recent = detected >= c.end - 14 * DAY
        still_open = ((severity >= 2) & recent & (rng.random(n) < 0.5)) | (fixed >= c.end)
        postmortem = fixed + rng.integers(DAY, 8 * DAY, n)
        reviewed = ~still_open & (rng.random(n) < np.where(severity <= 1, 0.85, 0.04))
        order = np.argsort(detected, kind="stable")
        severity, where, detected, acknowledged, fixed, still_open, postmortem, reviewed = (
            x[order]
            for x in (
                severity,
                where,
                detected,
                acknowledged,
                fixed,
                still_open,
                postmortem,
                reviewed,
            )
        )
        caused, cause = caused[order], cause[order]
        names = [s[0] for s in _SERVICES]
        titles = (
            "elevated error rate",
            "latency degradation",
            "partial outage",
            "failed background jobs",
            "login failures",
            "delayed data",
            "broken layout",
        )
        no_text = pa.scalar(None, pa.string())
        self.write(
            "incidents",
            {
                "incident_id": _ids("inc_", np.arange(1, n + 1), 4),
                "severity": _Cat(severity, _SEVERITIES),
                "service_id": _Cat(where, names),
                "title": _text(
                    _labels(where, names), ": ", _labels(rng.integers(0, len(titles), n), titles)
                ),
                "detected_at": detected,
                "acknowledged_at": _null_where(acknowledged >= c.end, acknowledged),
                "resolved_at": _null_where(still_open, fixed),
                "caused_by_deployment_id": pc.if_else(
                    pa.array(caused), pc.take(deployment_ids, pa.array(cause)), no_text
                ),
                "postmortem_completed_at": _null_where(
                    ~reviewed | (postmortem >= c.end), postmortem
                ),
            },
        )
        self.write(
            "deployments",
            {
                "deployment_id": deployment_ids,
                "service_id": _Cat(service, names),
                "environment": _Cat(env, ("production", "staging")),
                "deployed_at": deployed,
                "status": _Cat(failed.astype(np.int8), ("success", "failed")),
                "rolled_back": rolled_back,
            },
        )
        commits = 1 + rng.poisson(2.5, deployed.size)
        owner = np.repeat(np.arange(deployed.size), commits)
        lead = (18 * 3600 * rng.lognormal(0, 1.0, owner.size)).astype(np.int64)
        lead[rng.random(owner.size) < 0.03] = 0  # hotfixes deployed the second they land
        self.write(
            "deployment_commits",
            {
                "deployment_id": pc.take(deployment_ids, pa.array(owner)),
                "commit_sha": _hex(rng, owner.size),
                "committed_at": np.maximum(deployed[owner] - lead, c.t0),
            },
        )
        # Probes fail while an incident lasts, also for incidents whose ticket is never closed.
        self.incidents = (severity, where, detected, np.minimum(fixed, c.end))
        self.health_checks(rng)

    def deployments(
        self, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Several production deploys per weekday per service, more to staging, few at weekends."""
        c = self.clock
        days = np.arange(c.days)
        rate = np.array([s[3] for s in _SERVICES])[:, None] * np.where(
            c.weekday(days) < 5, 1.0, 0.12
        )
        insights = [s[0] for s in _SERVICES].index("insights_engine")
        rate[insights, days < self.launch[1]] *= 0.2
        service, day, env = [], [], []
        for environment, factor in enumerate((1.0, 1.5)):
            counts = rng.poisson(rate * factor)
            s, d = np.nonzero(counts)
            service.append(np.repeat(s, counts[s, d]))
            day.append(np.repeat(d, counts[s, d]))
            env.append(np.full(int(counts.sum()), environment))
        service_, day_, env_ = (np.concatenate(x) for x in (service, day, env))
        deployed = c.t0 + day_ * DAY + _time_of_day(rng, day_.size, _WORK_HOURS)
        order = np.lexsort((service_, deployed))
        failed = rng.random(order.size) < 0.05
        return service_[order], deployed[order], env_[order], failed

    def health_checks(self, rng: np.random.Generator) -> None:
        """A probe every 5 minutes; outages fail probes, maintenance windows are flagged."""
        c = self.clock
        severity, where, detected, fixed = self.incidents
        probes = c.days * 288
        slots = c.t0 + np.arange(probes, dtype=np.int64) * 300
        fail_chance = np.array([1.0, 0.5, 0.05, 0.0])
        months = c.months()
        parts = []
        for s, service in enumerate(_SERVICES):
            checked = slots + rng.integers(0, 15, probes)
            fail = np.full(probes, 1e-4)
            slow = np.ones(probes)
            for k in np.flatnonzero(where == s):  # a service has a few dozen incidents
                i0, i1 = np.searchsorted(checked, [detected[k] - 120, fixed[k]])
                fail[i0:i1] = np.maximum(fail[i0:i1], fail_chance[severity[k]])
                slow[i0:i1] = 3.0
            maintenance = np.zeros(probes, bool)
            for month in months[rng.random(months.size) < 0.4]:
                begin = c.t0 + (month + 3) * DAY + 2 * 3600
                i0, i1 = np.searchsorted(checked, [begin, begin + rng.integers(30, 90) * 60])
                maintenance[i0:i1] = True
                fail[i0:i1] = 0.8
            ok = rng.random(probes) >= fail
            latency = service[4] * slow * rng.lognormal(0, 0.3, probes)
            timed_out = ~ok & (rng.random(probes) < 0.7)
            latency = np.where(~ok, rng.uniform(5, 50, probes), latency)
            latency[timed_out] = np.nan
            keep = checked < c.end
            parts.append(
                (
                    np.full(int(keep.sum()), s),
                    checked[keep],
                    ok[keep],
                    latency[keep],
                    maintenance[keep],
                )
            )
        service_, checked_, ok_, latency_, maintenance_ = (
            np.concatenate(x) for x in zip(*parts, strict=True)
        )
        self.write(
            "health_checks",
            {
                "service_id": _Cat(service_, [s[0] for s in _SERVICES]),
                "checked_at": checked_,
                "ok": ok_,
                "latency_ms": np.round(latency_, 1),
                "planned_maintenance": maintenance_,
            },
        )

    # ------------------------------------------------------------------ support and voice
    def alive_at(self, times: np.ndarray) -> np.ndarray:
        """How many users have signed up and not yet lapsed at each time."""
        joined = np.searchsorted(self.u.signup, times, side="right")
        return joined - np.searchsorted(np.sort(self.last_seen), times)

    def support(self) -> None:
        rng, c, u = self.rng("support"), self.clock, self.u
        m = max(40, int(self.n * 0.45))
        weight = np.where(u.long_lived, 3.0, 1.0)
        who = rng.choice(self.n, m, p=weight / weight.sum())
        span = (self.last_seen[who] - u.signup[who]) // DAY + 3
        day = u.day[who] + (rng.random(m) * span).astype(np.int64)
        created = np.maximum(c.t0 + day * DAY + _time_of_day(rng, m), u.signup[who] + 300)
        category = rng.choice(5, m, p=[0.2, 0.25, 0.3, 0.15, 0.1])
        priority = rng.choice(4, m, p=[0.25, 0.5, 0.2, 0.05])

        # Outage bursts: customers write in right after a P0/P1 on a customer-facing service.
        severity, where, detected, _ = self.incidents
        burst = np.flatnonzero((severity <= 1) & _FACING[where])
        size = 2 + rng.poisson(1 + 0.004 * self.alive_at(detected[burst]))
        owner = np.repeat(burst, size)
        at = detected[owner] + 60 + rng.exponential(1500, owner.size).astype(np.int64)
        joined = np.searchsorted(u.signup, at)
        writer = (rng.random(owner.size) * joined).astype(np.int64)
        valid = joined > 0
        who = np.concatenate([who, writer[valid]])
        created = np.concatenate([created, at[valid]])
        category = np.concatenate([category, np.full(int(valid.sum()), 5)])
        priority = np.concatenate([priority, rng.choice([2, 3], int(valid.sum()), p=[0.6, 0.4])])
        keep = created < c.end
        order = np.argsort(created[keep], kind="stable")
        who, created, category, priority = (
            x[keep][order] for x in (who, created, category, priority)
        )

        t = created.size
        first_median = np.array([180, 90, 40, 15])[priority] * 60
        response = (first_median * rng.lognormal(0, 0.9, t)).astype(np.int64)
        answered = rng.random(t) >= 0.05  # the rest were closed by the bot or went silent
        work = (80 * 60 * rng.lognormal(0, 1.3, t)).astype(np.int64)
        resolved = created + np.where(answered, response, 0) + work
        solved = (rng.random(t) >= 0.07) & (resolved < c.end)
        responded = created + response
        reopened = np.where(solved, rng.choice(3, t, p=[0.88, 0.09, 0.03]), 0)
        score = rng.choice(5, t, p=[0.06, 0.06, 0.13, 0.30, 0.45]) + 1
        rated = solved & (rng.random(t) < 0.45)
        self.write(
            "support_tickets",
            {
                "ticket_id": _ids("tkt_", np.arange(1, t + 1), 7),
                "user_id": who + 1,
                "created_at": created,
                "priority": _Cat(priority, ("low", "normal", "high", "urgent")),
                "category": _Cat(
                    category, ("billing", "bug", "how_to", "account", "feature_request", "outage")
                ),
                "first_agent_response_at": _null_where(~answered | (responded >= c.end), responded),
                "resolved_at": _null_where(~solved, resolved),
                "reopened_count": reopened,
                "satisfaction_score": _null_where(~rated, score),
            },
        )

    def voice(self) -> None:
        """NPS 30 days after signup and quarterly after; engaged users promote more."""
        rng, c, u = self.rng("voice"), self.clock, self.u
        users, days = [], []
        for offset in range(30, c.days, 90):
            asked = np.flatnonzero((u.life >= offset) & (u.day + offset < c.days))
            answered = asked[rng.random(asked.size) < 0.22]
            users.append(answered)
            days.append(u.day[answered] + offset)
        who, day = np.concatenate(users), np.concatenate(days)
        responded = c.t0 + day * DAY + _time_of_day(rng, who.size)
        order = np.argsort(responded, kind="stable")
        who, responded = who[order], responded[order]
        promoter_p = 0.36 + 0.10 * u.long_lived[who]
        detractor_p = 0.32 - 0.08 * u.long_lived[who]
        r = rng.random(who.size)
        score = np.select(
            [r < detractor_p, r < 1 - promoter_p],
            [
                rng.choice(7, who.size, p=np.array([1, 1, 1, 2, 3, 5, 7]) / 20),
                rng.integers(7, 9, who.size),
            ],
            rng.integers(9, 11, who.size),
        )
        self.write(
            "nps_responses",
            {
                "response_id": _ids("nps_", np.arange(1, who.size + 1), 7),
                "user_id": who + 1,
                "responded_at": responded,
                "score": score,
            },
        )

        m = max(40, int(self.n * 0.08))
        sources = ("in_app", "support", "survey", "review_site", "social")
        source = rng.choice(len(sources), m, p=[0.35, 0.25, 0.2, 0.1, 0.1])
        anonymous = source >= 3
        who = rng.integers(0, self.n, m)
        span = np.maximum(self.last_seen[who] - u.signup[who], 0)
        received = np.where(
            anonymous,
            c.t0 + rng.integers(0, c.days * DAY, m),
            u.signup[who] + (rng.random(m) * span).astype(np.int64),
        )
        themes = ("onboarding", "performance", "pricing", "integrations", "reporting")
        themes += ("mobile_app", "support_experience", "bugs")
        theme = rng.choice(len(themes), m, p=[0.15, 0.15, 0.15, 0.12, 0.15, 0.08, 0.1, 0.1])
        sentiment_p = np.array([  # positive, neutral, negative per theme
            [0.4, 0.3, 0.3], [0.2, 0.2, 0.6], [0.1, 0.3, 0.6], [0.45, 0.35, 0.2],
            [0.55, 0.25, 0.2], [0.3, 0.3, 0.4], [0.5, 0.2, 0.3], [0.05, 0.15, 0.8],
        ])  # fmt: skip
        sentiment = (rng.random(m)[:, None] > sentiment_p.cumsum(axis=1)[theme]).sum(axis=1)
        order = np.argsort(received, kind="stable")
        self.write(
            "feedback_items",
            {
                "feedback_id": _ids("fb_", np.arange(1, m + 1), 6),
                "user_id": np.where(anonymous, NULL, who + 1)[order],
                "received_at": received[order],
                "source": _Cat(source[order], sources),
                "theme": _Cat(theme[order], themes),
                "sentiment": _Cat(
                    np.minimum(sentiment, 2)[order], ("positive", "neutral", "negative")
                ),
            },
        )

    # ------------------------------------------------------------------ experiments, content
    def experiments(self) -> None:
        rng, c, u = self.rng("experiments"), self.clock, self.u
        labels = sorted({v for e in EXPERIMENTS for v in e.variants})
        assignments, variants = [], []
        for number, exp in enumerate(EXPERIMENTS):
            lo, hi = self.window(exp.window[0]), self.window(exp.window[1])
            if exp.population == "signups":
                users, variant, assigned = self.assignments[exp.experiment_id]
                value = u.activated[users].astype(np.float64)  # its effect is in the events
            else:
                users = np.flatnonzero((u.day < hi) & (u.day + u.life > lo))
                first = np.maximum(u.signup[users], c.t0 + lo * DAY)
                last = np.minimum(self.last_seen[users], c.t0 + hi * DAY - 1)
                room = np.maximum(last - first, 0) * 0.3
                assigned = first + (rng.random(users.size) * room).astype(np.int64)
                variant = self.assign(rng, users.size, exp.assigned)
                effect = np.asarray(exp.effects)[variant] * exp.base
                if exp.metric_type == "mean":
                    value = rng.poisson(rng.gamma(2.0, effect / 2.0)).astype(np.float64)
                else:
                    value = (rng.random(users.size) < effect).astype(np.float64)
            horizon = (14 if exp.metric.endswith("_14d") else 7) * DAY
            label = np.array([labels.index(v) for v in exp.variants])[variant]
            assignments.append(
                (np.full(users.size, number), users, label, assigned, value, assigned + horizon)
            )
            variants += [
                (number, name, k == 0, share)
                for k, (name, share) in enumerate(zip(exp.variants, exp.planned, strict=True))
            ]
        self.write(
            "experiments",
            {
                "experiment_id": [e.experiment_id for e in EXPERIMENTS],
                "name": [e.name for e in EXPERIMENTS],
                "primary_metric": [e.metric for e in EXPERIMENTS],
                "metric_type": [e.metric_type for e in EXPERIMENTS],
                "started_at": c.t0
                + np.array([self.window(e.window[0]) for e in EXPERIMENTS]) * DAY,
                "ended_at": np.array(
                    [
                        NULL if e.window[1] is None else c.t0 + self.window(e.window[1]) * DAY
                        for e in EXPERIMENTS
                    ]
                ),
                "rolled_out_variant": [e.rolled_out for e in EXPERIMENTS],
            },
        )
        ids = [e.experiment_id for e in EXPERIMENTS]
        number_, name_, control_, share_ = zip(*variants, strict=True)
        self.write(
            "experiment_variants",
            {
                "experiment_id": _Cat(np.array(number_), ids),
                "variant": list(name_),
                "is_control": np.array(control_),
                "planned_share": np.array(share_),
            },
        )
        number, users, label, assigned, value, observed = (
            np.concatenate(x) for x in zip(*assignments, strict=True)
        )
        self.write(
            "experiment_assignments",
            {
                "experiment_id": _Cat(number, ids),
                "user_id": users + 1,
                "variant": _Cat(label, labels),
                "assigned_at": assigned,
            },
        )
        seen = observed < c.end
        self.write(
            "experiment_outcomes",
            {
                "experiment_id": _Cat(number[seen], ids),
                "user_id": users[seen] + 1,
                "metric_value": value[seen],
                "observed_at": observed[seen],
            },
        )

    def content(self) -> None:
        """Daily and weekly cadences per platform, with some weeks below the playbook's target."""
        rng, c = self.rng("content"), self.clock
        platforms = ("twitter", "instagram", "tiktok", "reddit")
        post_types = ("post", "story", "video", "thread", "reply")
        daily = ((0, 0, 0.85), (0, 4, 0.6), (1, 1, 0.8), (3, 4, 0.75))
        weekly = (
            (0, 3, [0, 1], [0.2, 0.8]),
            (1, 0, [2, 3, 4, 5], [0.25, 0.35, 0.25, 0.15]),
            (2, 2, [2, 3, 4, 5], [0.3, 0.3, 0.25, 0.15]),
            (3, 0, [0, 1, 2], [0.4, 0.45, 0.15]),
        )
        weeks = -(-c.days // 7)
        platform, kind, day = [], [], []
        for p, k, chance in daily:
            d = np.flatnonzero(rng.random(c.days) < chance)
            platform.append(np.full(d.size, p))
            kind.append(np.full(d.size, k))
            day.append(d)
        for p, k, counts, probs in weekly:
            per_week = rng.choice(counts, weeks, p=probs)
            rank = np.argsort(rng.random((weeks, 7)), axis=1)
            week, weekday = np.nonzero(rank < per_week[:, None])
            d = week * 7 + weekday
            d = d[d < c.days]
            platform.append(np.full(d.size, p))
            kind.append(np.full(d.size, k))
            day.append(d)
        platform_, kind_, day_ = (np.concatenate(x) for x in (platform, kind, day))
        published = c.t0 + day_ * DAY + _time_of_day(rng, day_.size)
        order = np.argsort(published, kind="stable")
        platform_, kind_, day_, published = (x[order] for x in (platform_, kind_, day_, published))
        reach = np.array([1500.0, 3000.0, 8000.0, 900.0])[platform_] * (1 + day_ / c.days)
        impressions = np.round(reach * rng.lognormal(0, 0.7, day_.size)).astype(np.int64)
        rate = np.array([0.02, 0.04, 0.06, 0.03])[platform_] * rng.lognormal(0, 0.3, day_.size)
        self.write(
            "content_posts",
            {
                "post_id": _ids("post_", np.arange(1, day_.size + 1), 6),
                "platform": _Cat(platform_, platforms),
                "post_type": _Cat(kind_, post_types),
                "published_at": published,
                "impressions": impressions,
                "engagements": rng.binomial(impressions, np.minimum(rate, 1.0)),
            },
        )

    # ------------------------------------------------------------------ staff and compliance
    def staff(self) -> None:
        """A founding team on day one, steady hiring, some leavers and two recent hires."""
        rng, c = self.rng("staff"), self.clock
        founders = 30
        hires = np.sort(rng.integers(1, c.days, int(rng.poisson(0.045 * c.days))))
        recent = c.days - rng.integers(3, 28, 2)
        hired = np.sort(np.concatenate([np.zeros(founders, np.int64), hires, recent]))
        size = hired.size
        tenure = 60 + rng.exponential(1100.0, size).astype(np.int64)
        tenure[1] = min(tenure[1], c.days // 2)  # at least one leaver
        left = hired + tenure
        gone = left < c.days - 1
        weight = np.array([1, 4, 3, 5, 5, 5, 2, 2, 2, 1, 1, 1, 1, 1, 1], dtype=np.float64)
        role = np.concatenate(
            [
                np.arange(len(_ROLES)),
                rng.choice(len(_ROLES), size - len(_ROLES), p=weight / weight.sum()),
            ]
        )
        self.staff_hired, self.staff_left, self.staff_role = hired, np.where(gone, left, NULL), role
        departments = sorted({r[1] for r in _ROLES})
        self.write(
            "staff",
            {
                "staff_id": _ids("stf_", np.arange(1, size + 1), 3),
                "role": _Cat(role, [r[0] for r in _ROLES]),
                "department": _Cat(
                    np.array([departments.index(r[1]) for r in _ROLES])[role], departments
                ),
                "hired_on": c.day0 + hired,
                "left_on": np.where(gone, c.day0 + left, NULL),
            },
        )

    def staff_ids(self, index: np.ndarray) -> pa.Array:
        return _ids("stf_", np.asarray(index) + 1, 3)

    def employed(self, day: np.ndarray) -> np.ndarray:
        """Matrix [staff, day]: whether the staff member works there on that day."""
        left = np.where(self.staff_left == NULL, np.iinfo(np.int64).max, self.staff_left)
        return (self.staff_hired[:, None] <= day[None, :]) & (left[:, None] > day[None, :])

    def compliance(self) -> None:
        self.privacy_requests()
        self.consents()
        self.retention()
        self.security()
        self.documents()
        self.evidence()

    def privacy_requests(self) -> None:
        rng, c, u = self.rng("dsr"), self.clock, self.u
        m = max(12, int(self.n * 0.004))
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
        self.write(
            "data_subject_requests",
            {
                "request_id": _ids("dsr_", np.arange(1, m + 1), 5),
                "user_id": np.where(known, user + 1, NULL),
                "request_type": _Cat(
                    rng.choice(5, m, p=[0.4, 0.25, 0.15, 0.12, 0.08]),
                    ("access", "erasure", "rectification", "portability", "objection"),
                ),
                "received_at": received,
                "extension_notified_at": _null_where(~extended | (notified >= c.end), notified),
                "closed_at": _null_where(closed >= c.end, closed),
            },
        )

    def consents(self) -> None:
        """Consents at signup, some withdrawn; processing mostly follows them, a few do not."""
        rng, c, u = self.rng("consents"), self.clock, self.u
        purposes = ("analytics", "marketing_email", "personalisation")
        consent_users, consent_purpose, granted_, withdrawn_ = [], [], [], []
        processed_users, processed_purpose, processed_at = [], [], []
        for p, chance in enumerate((0.92, 0.45, 0.65)):
            consented = rng.random(self.n) < chance
            granted = np.minimum(u.signup + rng.integers(0, 600, self.n), c.end - 1)
            withdraws = consented & (rng.random(self.n) < 0.06)
            withdrawn = (
                granted + 60 + (rng.random(self.n) * (c.end - granted - 60)).astype(np.int64)
            )
            last = np.maximum(self.last_seen, granted)
            ignored = withdraws & (rng.random(self.n) < 0.05)  # kept processing after withdrawal
            stops = withdraws & ~ignored
            last = np.where(stops, np.maximum(granted, np.minimum(last, withdrawn - 30)), last)
            last = np.where(ignored, np.minimum(np.maximum(last, withdrawn + DAY), c.end - 1), last)
            unconsented = ~consented & (rng.random(self.n) < 0.001)
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
        self.write(
            "consents",
            {
                "consent_id": _ids("cns_", np.arange(1, user.size + 1), 8),
                "user_id": user[order] + 1,
                "purpose": _Cat(purpose[order], purposes),
                "granted_at": granted[order],
                "withdrawn_at": withdrawn[order],
            },
        )
        user, purpose, last = (
            np.concatenate(x) for x in (processed_users, processed_purpose, processed_at)
        )
        order = np.lexsort((purpose, user))
        self.write(
            "processing_activities",
            {
                "user_id": user[order] + 1,
                "purpose": _Cat(purpose[order], purposes),
                "last_processed_at": last[order],
            },
        )

    def retention(self) -> None:
        """Daily holdings per system; purge jobs keep data within retention except when stalled."""
        rng, c, u = self.rng("retention"), self.clock, self.u
        self.write(
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
            held = np.floor(users_by_day * per_user * rng.lognormal(0, 0.02, c.days)).astype(
                np.int64
            )
            keep_seconds = _RETENTION[cat][1] * DAY
            purged = snapshot - keep_seconds + rng.integers(0, 2 * DAY, c.days)
            first = np.maximum(first_record, np.minimum(purged, snapshot))
            if stalls:  # the purge job was broken for three weeks
                first[stall : stall + 21] = first[stall]
            system.append(np.full(c.days, k))
            category.append(np.full(c.days, cat))
            count.append(held)
            oldest.append(np.where(held > 0, first, NULL))
        self.write(
            "data_inventory",
            {
                "snapshot_date": np.tile(c.day0 + days, len(_HOLDINGS)),
                "system": _Cat(
                    np.array([sorted({h[0] for h in _HOLDINGS}).index(h[0]) for h in _HOLDINGS])[
                        np.concatenate(system)
                    ],
                    sorted({h[0] for h in _HOLDINGS}),
                ),
                "data_category": _Cat(np.concatenate(category), [r[0] for r in _RETENTION]),
                "record_count": np.concatenate(count),
                "oldest_record_at": np.concatenate(oldest),
            },
        )

    def security(self) -> None:
        """Vulnerability findings against severity SLAs, monthly patch levels, access reviews."""
        rng, c = self.rng("security"), self.clock
        m = max(30, int(rng.poisson(0.9 * c.days)))
        detected = np.sort(c.t0 + rng.integers(0, c.days * DAY, m))
        severity = rng.choice(4, m, p=[0.05, 0.2, 0.45, 0.3])
        sla = np.array([15, 30, 90, 180])[severity] * DAY
        r = rng.random(m)
        lag = np.where(r < 0.9, rng.uniform(0.05, 0.95, m), rng.uniform(1.05, 1.8, m)) * sla
        remediated = detected + lag.astype(np.int64)
        never = (r > 0.96) | (remediated >= c.end)
        year = (detected // DAY).astype("datetime64[D]").astype("datetime64[Y]").astype(int) + 1970
        cve = _text("CVE-", year, "-", rng.integers(1000, 49999, m))
        self.write(
            "vulnerability_findings",
            {
                "finding_id": _ids("vuln_", np.arange(1, m + 1), 5),
                "host_id": _Cat(rng.integers(0, len(_HOSTS), m), _HOSTS),
                "cve_id": pc.if_else(
                    pa.array(rng.random(m) < 0.85), cve, pa.scalar(None, pa.string())
                ),
                "severity": _Cat(severity, ("critical", "high", "medium", "low")),
                "detected_at": detected,
                "remediated_at": _null_where(never, remediated),
            },
        )

        snapshots = c.snapshot_days()
        host = np.repeat(np.arange(len(_HOSTS)), snapshots.size)
        day = np.tile(snapshots, len(_HOSTS))
        os_ = rng.choice(len(_OS_VERSIONS), len(_HOSTS))[host]
        behind = np.where(rng.random(host.size) < 0.04, rng.integers(4, 8, host.size), 0)
        behind += rng.integers(0, 2, host.size)
        month = (c.day0 + day).astype("datetime64[D]").astype("datetime64[M]").astype(int) - behind
        self.write(
            "host_patch_levels",
            {
                "host_id": _Cat(host, _HOSTS),
                "snapshot_date": c.day0 + day,
                "os_version": _Cat(os_, _OS_VERSIONS),
                "patch_level": _text("p", 1970 + month // 12, ".", 1 + month % 12),
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
        completed = (
            c.t0 + np.maximum(completed_day, 0) * DAY + _time_of_day(rng, r.size, _WORK_HOURS)
        )
        undone = (r >= 0.93) | (completed >= c.end)
        on_staff = self.employed(np.minimum(due_day, c.days - 1))  # [staff, review]
        pick = (rng.random(r.size) * on_staff.sum(axis=0)).astype(np.int64)
        reviewer = np.argmax(np.cumsum(on_staff, axis=0) > pick[None, :], axis=0)
        order = np.lexsort((system, due_day))
        self.write(
            "access_reviews",
            {
                "review_id": _ids("ar_", np.arange(1, r.size + 1), 4),
                "system": _Cat(system[order], systems),
                "reviewer_staff_id": self.staff_ids(reviewer[order]),
                "due_on": c.day0 + due_day[order],
                "completed_at": _null_where(undone, completed)[order],
            },
        )
        self.training(rng)

    def training(self, rng: np.random.Generator) -> None:
        """Courses at hire and yearly after; a few finish late or never."""
        c = self.clock
        courses = ("security_awareness", "privacy_gdpr", "secure_coding")
        cycles = c.days // 365 + 1
        staff, course, cycle = (
            x.reshape(-1)
            for x in np.meshgrid(
                np.arange(self.staff_hired.size), np.arange(3), np.arange(cycles), indexing="ij"
            )
        )
        assigned_day = self.staff_hired[staff] + 365 * cycle + course
        left = np.where(self.staff_left == NULL, c.days, self.staff_left)[staff]
        engineering = np.array([r[1] == "engineering" for r in _ROLES])[self.staff_role[staff]]
        keep = (assigned_day < np.minimum(left, c.days)) & ((course < 2) | engineering)
        staff, course, assigned_day, left = (x[keep] for x in (staff, course, assigned_day, left))
        assigned = c.t0 + assigned_day * DAY + 9 * 3600
        r = rng.random(staff.size)
        took = np.where(r < 0.93, rng.uniform(1, 28, r.size), rng.uniform(31, 60, r.size))
        completed = assigned + (took * DAY).astype(np.int64)
        missing = (r >= 0.97) | (completed >= c.end) | (completed >= c.t0 + left * DAY)
        order = np.lexsort((course, assigned))
        self.write(
            "training_assignments",
            {
                "assignment_id": _ids("tr_", np.arange(1, staff.size + 1), 5),
                "staff_id": self.staff_ids(staff[order]),
                "course": _Cat(course[order], courses),
                "assigned_at": assigned[order],
                "due_on": c.day0 + assigned_day[order] + 30,
                "completed_at": _null_where(missing, completed)[order],
            },
        )

    def documents(self) -> None:
        """Versioned documents reviewed yearly (two go stale) and acknowledged by staff."""
        rng, c = self.rng("documents"), self.clock
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
        self.write(
            "controlled_documents",
            {
                "document_id": _Cat(doc, [d[0] for d in _DOCUMENTS]),
                "version": version + 1,
                "title": _Cat(doc, [d[1] for d in _DOCUMENTS]),
                "doc_type": _Cat(
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
        staff, k = (
            x.reshape(-1)
            for x in np.meshgrid(np.arange(self.staff_hired.size), needs, indexing="ij")
        )
        left = np.where(self.staff_left == NULL, c.days, self.staff_left)[staff]
        since = np.maximum(self.staff_hired[staff], start[k])
        at = c.t0 + since * DAY + (rng.exponential(4.0, staff.size) * DAY).astype(np.int64)
        skipped = rng.random(staff.size) < np.where(current[k], 0.03, 0.1)
        keep = (at < c.end) & (at < c.t0 + left * DAY) & ~skipped
        order = np.lexsort((version[k][keep], doc[k][keep], staff[keep]))
        self.write(
            "policy_acknowledgements",
            {
                "staff_id": self.staff_ids(staff[keep][order]),
                "document_id": _Cat(doc[k][keep][order], [d[0] for d in _DOCUMENTS]),
                "version": version[k][keep][order] + 1,
                "acknowledged_at": at[keep][order],
            },
        )

    def evidence(self) -> None:
        """Evidence per control per month, collected around month end, with a few gaps."""
        rng, c = self.rng("evidence"), self.clock
        months = c.months()
        control = np.repeat(np.arange(len(_CONTROLS)), months.size)
        month = np.tile(months, len(_CONTROLS))
        collected = c.t0 + (month + rng.integers(25, 38, month.size)) * DAY
        collected += _time_of_day(rng, month.size, _WORK_HOURS)
        keep = (collected < c.end) & (rng.random(month.size) >= 0.05)
        order = np.argsort(collected[keep], kind="stable")
        kinds = ("screenshot", "export", "attestation", "log")
        self.write(
            "control_evidence",
            {
                "evidence_id": _ids("ev_", np.arange(1, int(keep.sum()) + 1), 5),
                "control_id": _Cat(control[keep][order], _CONTROLS),
                "period_month": c.day0 + month[keep][order],
                "collected_at": collected[keep][order],
                "evidence_type": _Cat(rng.integers(0, len(kinds), int(keep.sum())), kinds),
            },
        )

    # ------------------------------------------------------------------ delivery
    def work_items(self) -> None:
        """Flow times with cycle time improving slowly (about 25% over the whole period)."""
        rng, c = self.rng("work_items"), self.clock
        days = np.arange(c.days)
        per_day = rng.poisson(np.where(c.weekday(days) < 5, 7.0, 0.5))
        day = np.repeat(days, per_day)
        created = np.sort(c.t0 + day * DAY + _time_of_day(rng, day.size, _WORK_HOURS))
        m = created.size
        kind = rng.choice(3, m, p=[0.5, 0.35, 0.15])
        started = created + (rng.exponential(2.5, m) * DAY).astype(np.int64)
        progress = (created - c.t0) / (c.days * DAY)
        median = 4.0 * (1 - 0.25 * progress) * np.where(kind == 1, 0.6, 1.0)
        done = started + (median * rng.lognormal(0, 0.8, m) * DAY).astype(np.int64)
        r = rng.random(m)
        not_started = (r < 0.08) | (started >= c.end)
        not_done = not_started | (r > 0.93) | (done >= c.end)
        self.write(
            "work_items",
            {
                "work_item_id": _ids("wi_", np.arange(1, m + 1), 6),
                "item_type": _Cat(kind, ("feature", "bug", "chore")),
                "team": _Cat(
                    rng.choice(5, m), ("platform", "growth", "monetisation", "insights", "infra")
                ),
                "created_at": created,
                "started_at": _null_where(not_started, started),
                "done_at": _null_where(not_done, done),
            },
        )


def generate_company(
    out_dir: Path, users: int, days: int, start: date, seed: int, fmt: str = "parquet"
) -> dict[str, int]:
    """Write one folder per contract table into out_dir and return the rows written per table.

    Everything is dated in [start, start + days) except due dates and budgets, which may be
    ahead. Equal arguments give byte-identical files.
    """
    if fmt not in ("parquet", "csv"):
        raise ValueError(f"fmt must be parquet or csv, not {fmt!r}")
    if users < 200 or days < 60:
        raise ValueError("need at least 200 users and 60 days for cohorts, experiments and months")
    writer = _Writer(Path(out_dir), fmt)
    _Company(writer, users, days, start, seed).run()
    return dict(writer.rows)
