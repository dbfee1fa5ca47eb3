"""What every domain shares: the window, the random streams, the users, the team and the plans.

All of it is drawn before the first table is built, and domains only read it, so a domain can
depend on another only through what it is handed, never on which of them ran first.
"""

from __future__ import annotations

import calendar
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import NamedTuple

import numpy as np
import pyarrow as pa

from nexus_pipelines.generator.columns import DAY, NULL, ids

DEMO_USERS = 20_000
DEMO_DAYS = 730
_EPOCH = date(1970, 1, 1)

# Hour-of-day (UTC) weights of product use: a European peak with an American tail at night.
_HOURLY = np.array([
    1.2, 0.9, 0.6, 0.4, 0.3, 0.4, 0.7, 1.3, 2.3, 3.2, 3.8, 4.0,
    3.9, 4.1, 4.4, 4.5, 4.3, 3.9, 3.3, 2.9, 2.6, 2.3, 1.9, 1.5,
])  # fmt: skip
WORK_HOURS = np.array([0.1] * 7 + [0.6, 1.5, 2.5, 3, 3, 2, 3, 3, 3, 2.5, 1.5, 0.6] + [0.2] * 5)
_SIGNUP_WEEKDAY = np.array([1.10, 1.15, 1.10, 1.05, 0.95, 0.75, 0.80])  # Monday first
_MONTHLY_GROWTH = 0.06

CHANNELS = ("organic", "paid_search", "paid_social", "referral", "social", "content")
CHANNEL_SHARE = np.array([0.30, 0.20, 0.15, 0.12, 0.10, 0.13])
_CHANNEL_ACTIVATION = np.array([1.05, 0.95, 0.85, 1.15, 0.95, 1.00])
_CHANNEL_RETENTION = np.array([1.10, 0.95, 0.70, 1.30, 0.90, 1.00])
SEGMENTS = ("self_serve", "smb", "mid_market", "enterprise")
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
COUNTRIES = ("US", "GB", "DE", "FR", "NL", "ES", "IT", "SE", "PL", "CA", "AU", "IN", "BR", "JP")
_COUNTRY_SHARE = np.array([30, 10, 10, 7, 4, 5, 4, 3, 3, 6, 4, 6, 5, 3]) / 100
# product id, name, launch and sunset as fractions of the window, share of signups
PRODUCTS = (
    ("core", "Nexus Core", 0.0, None, 0.60),
    ("insights", "Nexus Insights", 0.2, None, 0.25),
    ("lite", "Nexus Lite", 0.0, 0.6, 0.15),
)
PRODUCT_IDS = [p[0] for p in PRODUCTS]
ROLES = (  # playbook role, department
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

# What the experiment analysis should find (relative lift of treatment over control).
TRUE_EFFECTS = {
    "exp_onboarding_checklist": "activation_7d: +10% relative lift (treatment)",
    "exp_pricing_page_copy": "trial_started_14d: no effect in either variant",
    "exp_dashboard_widgets": "sessions_14d (mean): +5% relative lift (treatment)",
    "exp_editor_redesign": "project_shared_7d: no effect; planned 50/50 but assigned 52/48 because"
    " crashing treatment sessions were never logged (sample-ratio mismatch)",
}


class Experiment(NamedTuple):
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


# The plans live with the users because the onboarding experiment changes activation itself.
EXPERIMENTS = (
    Experiment(
        "exp_onboarding_checklist", "Onboarding checklist", "activation_7d", "conversion",
        (0.05, 0.45), "signups", ("control", "treatment"), (0.5, 0.5), (0.5, 0.5), (1.0, 1.10),
        0.0, "treatment",
    ),
    Experiment(
        "exp_pricing_page_copy", "Pricing page copy", "trial_started_14d", "conversion",
        (0.40, 0.55), "active", ("control", "value_copy", "social_proof"), (0.34, 0.33, 0.33),
        (0.34, 0.33, 0.33), (1.0, 1.0, 1.0), 0.08, None,
    ),
    Experiment(
        "exp_dashboard_widgets", "Dashboard widgets", "sessions_14d", "mean", (0.55, 0.75),
        "active", ("control", "treatment"), (0.5, 0.5), (0.5, 0.5), (1.0, 1.05), 6.0, "treatment",
    ),
    Experiment(
        "exp_editor_redesign", "Editor redesign", "project_shared_7d", "conversion", (0.78, None),
        "active", ("control", "treatment"), (0.5, 0.5), (0.52, 0.48), (1.0, 1.0), 0.40, None,
    ),
)  # fmt: skip


def stream(seed: int, name: str) -> np.random.Generator:
    """One independent stream per name, so no domain's draws shift another's."""
    return np.random.default_rng([seed, zlib.crc32(name.encode())])


def time_of_day(rng: np.random.Generator, size: int, weights: np.ndarray = _HOURLY) -> np.ndarray:
    """Seconds into the day, by an hour-of-day curve."""
    return rng.choice(24, size, p=weights / weights.sum()) * 3600 + rng.integers(0, 3600, size)


def assign(rng: np.random.Generator, size: int, shares: Sequence[float]) -> np.ndarray:
    """Blocked randomisation: exact shares (up to rounding), shuffled."""
    counts = np.floor(np.asarray(shares) * size + 0.5).astype(np.int64)
    counts[-1] = size - counts[:-1].sum()
    codes = np.repeat(np.arange(len(shares)), counts)
    rng.shuffle(codes)
    return codes


class Clock:
    """The window [start, start + days) in epoch seconds and days."""

    def __init__(self, start: date, days: int) -> None:
        self.start = start
        self.days = days
        self.t0 = calendar.timegm(start.timetuple())
        self.end = self.t0 + days * DAY
        self.day0 = (start - _EPOCH).days

    def window(self, fraction: float | None) -> int:
        """Day index at a fraction of the window; None (still running) is its end."""
        return self.days if fraction is None else int(fraction * self.days)

    def day_of(self, seconds: np.ndarray) -> np.ndarray:
        return (np.asarray(seconds) - self.t0) // DAY

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


class Users(NamedTuple):
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
    last_seen: np.ndarray  # epoch seconds, at most the end of the window


class Assignment(NamedTuple):
    """Who got which variant of an experiment, and when."""

    users: np.ndarray
    variant: np.ndarray
    assigned_at: np.ndarray


class Staff(NamedTuple):
    """The team by staff index (staff_id `stf_` index + 1); days are window day indices."""

    hired: np.ndarray
    left: np.ndarray  # NULL while still employed
    role: np.ndarray  # index into ROLES

    def ids(self, index: np.ndarray) -> pa.Array:
        return ids("stf_", np.asarray(index) + 1, 3)

    def employed(self, day: np.ndarray) -> np.ndarray:
        """Matrix [staff, day]: whether the staff member works there on that day."""
        left = np.where(self.left == NULL, np.iinfo(np.int64).max, self.left)
        return (self.hired[:, None] <= day[None, :]) & (left[:, None] > day[None, :])


@dataclass(frozen=True)
class World:
    """Everything the domains share, complete before the first table and never changed after."""

    clock: Clock
    seed: int
    scale: float  # signups per day relative to the demo company: fixed costs follow it
    launch: np.ndarray  # day index per product
    sunset: np.ndarray  # day index per product (the window's end when it stays)
    users: Users
    signup_rate: np.ndarray  # expected signups per day
    signup_assignments: Mapping[str, Assignment]  # experiments assigned at signup
    staff: Staff

    def rng(self, name: str) -> np.random.Generator:
        return stream(self.seed, name)


def build_world(users: int, days: int, start: date, seed: int) -> World:
    """Users and staff are drawn here, not by a domain, because several domains read them."""
    clock = Clock(start, days)
    launch = np.array([clock.window(p[2]) for p in PRODUCTS])
    sunset = np.array([clock.window(p[3]) for p in PRODUCTS])
    people, signup_rate, assignments = _draw_users(
        stream(seed, "users"), clock, users, launch, sunset
    )
    return World(
        clock=clock,
        seed=seed,
        scale=(users / days) / (DEMO_USERS / DEMO_DAYS),
        launch=launch,
        sunset=sunset,
        users=people,
        signup_rate=signup_rate,
        signup_assignments=assignments,
        staff=_draw_staff(stream(seed, "staff"), clock),
    )


def _draw_users(
    rng: np.random.Generator, c: Clock, n: int, launch: np.ndarray, sunset: np.ndarray
) -> tuple[Users, np.ndarray, dict[str, Assignment]]:
    """Signups grow about 6% a month with a weekly rhythm; channels differ in volume, cost and
    retention (referral and organic users stay, paid social churns), so CAC and LTV by channel
    disagree the way real ones do. Activation is what separates a long-lived user from a tourist.
    """
    days = np.arange(c.days)
    growth = np.log1p(_MONTHLY_GROWTH) / 30.44
    weight = np.exp(growth * days) * _SIGNUP_WEEKDAY[c.weekday(days)]
    weight *= rng.lognormal(0, 0.1, c.days)
    signup_rate = n * weight / weight.sum()
    day = rng.choice(c.days, n, p=weight / weight.sum())
    signup = np.sort(c.t0 + day * DAY + time_of_day(rng, n))
    day = c.day_of(signup)
    channel = rng.choice(len(CHANNELS), n, p=CHANNEL_SHARE)
    channel[0] = 0  # nobody can refer the first user
    segment = rng.choice(len(SEGMENTS), n, p=_SEGMENT_SHARE)
    cumulative = _PLAN_AT_SIGNUP.cumsum(axis=1)[segment]
    plan = (rng.random(n)[:, None] > cumulative).sum(axis=1).clip(0, 3)
    product = rng.choice(len(PRODUCTS), n, p=[p[4] for p in PRODUCTS])
    unavailable = (day < launch[product]) | (day >= sunset[product])
    product[unavailable] = 0

    # The onboarding experiment changes activation itself, so it is assigned here.
    activation = 0.60 * _CHANNEL_ACTIVATION[channel]
    onboarding = EXPERIMENTS[0]
    lo, hi = c.window(onboarding.window[0]), c.window(onboarding.window[1])
    enrolled = np.flatnonzero((day >= lo) & (day < hi))
    variant = assign(rng, enrolled.size, onboarding.assigned)
    activation[enrolled] *= np.asarray(onboarding.effects)[variant]
    activated = rng.random(n) < activation
    assignments = {onboarding.experiment_id: Assignment(enrolled, variant, signup[enrolled])}

    long_lived = rng.random(n) < np.where(activated, 0.50, 0.08) * _CHANNEL_RETENTION[channel]
    short_life = rng.exponential(np.where(activated, 14.0, 5.0))
    life = np.where(long_lived, rng.exponential(700.0, n), short_life)
    visit = np.clip(rng.normal(np.where(activated, 0.78, 0.45), 0.12), 0.05, 0.97)

    # Referrers: earlier users, preferring engaged ones (the best of three candidates).
    candidates = np.floor(rng.random((n, 3)) * np.arange(n)[:, None]).astype(np.int64)
    engaged = long_lived[candidates]
    best = candidates[np.arange(n), np.argmax(engaged, axis=1)]
    referrer = np.where(channel == CHANNELS.index("referral"), best, -1)
    country = rng.choice(len(COUNTRIES), n, p=_COUNTRY_SHARE)
    last_seen = np.minimum(signup + (life * DAY).astype(np.int64), c.end - 1)
    users = Users(
        signup, day, channel, segment, plan, country, product, referrer, activated,
        long_lived, life, visit, last_seen,
    )  # fmt: skip
    return users, signup_rate, assignments


def _draw_staff(rng: np.random.Generator, c: Clock) -> Staff:
    """A founding team on day one, steady hiring, some leavers and two recent hires."""
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
            np.arange(len(ROLES)),
            rng.choice(len(ROLES), size - len(ROLES), p=weight / weight.sum()),
        ]
    )
    return Staff(hired, np.where(gone, left, NULL), role)
