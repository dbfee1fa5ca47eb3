"""Delivery: work items through the flow, created, started and done, with what a tracker adds
(title, priority, blockers, pending decisions, links to incidents and feedback); and the stack's
components with their vendors' end-of-life dates."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from nexus_pipelines.generator.columns import DAY, Cat, Table, ids, null_where
from nexus_pipelines.generator.reliability import Outages
from nexus_pipelines.generator.world import WORK_HOURS, World, time_of_day

_KINDS = ("feature", "bug", "chore", "tech_debt")
_TITLES = {
    "feature": ("Export to CSV", "Team invitations", "Usage dashboard", "SSO login", "Webhooks"),
    "bug": ("Fix timeout on save", "Fix wrong totals", "Fix login loop", "Fix broken link"),
    "chore": ("Rotate credentials", "Update docs", "Clean up flags", "Triage alerts"),
    "tech_debt": ("Upgrade framework", "Remove legacy API", "Refactor billing", "Split monolith"),
}
_BLOCKERS = ("waiting on vendor API", "needs design review", "waiting on infra upgrade")
_DECISIONS = ("Product: cut scope or delay?", "Eng lead: build or buy?", "Finance: approve spend?")
# component, category, version in use, latest version, end of life in days from the data's end
# (None: not announced), services using it
_STACK = (
    ("python", "language", "3.9", "3.13", -60, "api,data_pipeline"),
    ("python", "language", "3.12", "3.13", 1400, "billing_worker"),
    ("node", "language", "18", "22", -240, "web_app"),
    ("postgresql", "database", "13", "17", 330, "api,billing_worker"),
    ("redis", "database", "7.2", "7.4", None, "api,notifications"),
    ("react", "framework", "18.2", "19.0", None, "web_app"),
    ("django", "framework", "4.2", "5.1", 120, "api"),
    ("kafka", "platform", "3.6", "3.9", 45, "data_pipeline"),
    ("kubernetes", "platform", "1.29", "1.31", -20, "api,web_app,auth"),
    ("openssl", "library", "3.0", "3.4", 600, "auth"),
    ("terraform", "tool", "1.5", "1.9", None, None),
)


def tables(world: World, outages: Outages, feedback_received: np.ndarray) -> Iterator[Table]:
    """Flow times with cycle time improving slowly (about 25% over the whole period)."""
    rng, c = world.rng("work_items"), world.clock
    days = np.arange(c.days)
    per_day = rng.poisson(np.where(c.weekday(days) < 5, 7.0, 0.5))
    day = np.repeat(days, per_day)
    created = np.sort(c.t0 + day * DAY + time_of_day(rng, day.size, WORK_HOURS))
    m = created.size
    kind = rng.choice(3, m, p=[0.5, 0.35, 0.15])
    started = created + (rng.exponential(2.5, m) * DAY).astype(np.int64)
    progress = (created - c.t0) / (c.days * DAY)
    median = 4.0 * (1 - 0.25 * progress) * np.where(kind == 1, 0.6, 1.0)
    done = started + (median * rng.lognormal(0, 0.8, m) * DAY).astype(np.int64)
    r = rng.random(m)
    not_started = (r < 0.08) | (started >= c.end)
    not_done = not_started | (r > 0.93) | (done >= c.end)
    # the tracker's fields in their own stream, so the flow above draws as it always did
    details = world.rng("work_item_details")
    kind = np.where((kind == 2) & (details.random(m) < 0.4), 3, kind)
    title = np.array(
        [_TITLES[_KINDS[k]][i % len(_TITLES[_KINDS[k]])] for k, i in
         zip(kind, details.integers(0, 60, m), strict=True)],
        dtype=object,
    )  # fmt: skip
    priority = details.choice(5, m, p=[0.02, 0.13, 0.45, 0.3, 0.1])
    open_now = not_done
    blocked = open_now & (details.random(m) < 0.1)
    deciding = open_now & (details.random(m) < 0.04)
    blocker = details.integers(0, len(_BLOCKERS), m)
    decision = details.integers(0, len(_DECISIONS), m)
    # a bug filed within two days of an incident follows it up half the time
    last_incident = np.searchsorted(outages.detected, created) - 1
    follows = (
        (kind == 1)
        & (last_incident >= 0)
        & (created - outages.detected[np.maximum(last_incident, 0)] < 2 * DAY)
        & (details.random(m) < 0.5)
    )
    # a feature answers one of the last 20 pieces of feedback before it, a quarter of the time
    feedback = np.searchsorted(feedback_received, created) - 1 - details.integers(0, 20, m)
    answers = (kind == 0) & (feedback >= 0) & (details.random(m) < 0.25)
    yield Table(
        "work_items",
        {
            "work_item_id": ids("wi_", np.arange(1, m + 1), 6),
            "item_type": Cat(kind, _KINDS),
            "team": Cat(
                rng.choice(5, m), ("platform", "growth", "monetisation", "insights", "infra")
            ),
            "created_at": created,
            "started_at": null_where(not_started, started),
            "done_at": null_where(not_done, done),
            "title": title,
            "priority": Cat(np.where(priority == 4, -1, priority), ("P0", "P1", "P2", "P3")),
            "blocked_reason": Cat(np.where(blocked, blocker, -1), _BLOCKERS),
            "decision_needed": Cat(np.where(deciding, decision, -1), _DECISIONS),
            "linked_incident_id": _linked("inc_", follows, last_incident, 4),
            "linked_feedback_id": _linked("fb_", answers, feedback, 6),
        },
    )
    yield _stack_components(world)


def _linked(prefix: str, linked: np.ndarray, index: np.ndarray, width: int) -> np.ndarray:
    """Identifiers `<prefix><index + 1>` where linked, else NULL (None)."""
    return np.array(
        [f"{prefix}{i + 1:0{width}d}" if on else None for on, i in zip(linked, index, strict=True)],
        dtype=object,
    )


def _stack_components(world: World) -> Table:
    """The inventory as taken on the data's first day; end-of-life dates relative to its last."""
    c = world.clock
    last_day = c.day0 + c.days - 1
    return Table(
        "stack_components",
        {
            "component": [row[0] for row in _STACK],
            "version": [row[2] for row in _STACK],
            "category": [row[1] for row in _STACK],
            "used_by": [row[5] for row in _STACK],
            "latest_version": [row[3] for row in _STACK],
            "end_of_life": null_where(
                np.array([row[4] is None for row in _STACK]),
                # the contract refuses a date before the company's founding
                np.maximum(np.array([last_day + (row[4] or 0) for row in _STACK]), c.day0),
            ),
            # taken on the first day: every period's report reads it (versions are current)
            "recorded_at": np.full(len(_STACK), c.t0 + 9 * 3600),
        },
    )
