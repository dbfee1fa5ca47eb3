"""Support: tickets from users through their lifetime, and bursts of them after outages."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from nexus_pipelines.generator.columns import DAY, Cat, Table, ids, null_where
from nexus_pipelines.generator.reliability import Outages
from nexus_pipelines.generator.world import Clock, Users, World, time_of_day


def tables(world: World, outages: Outages) -> Iterator[Table]:
    """Tickets need the outages, so support comes after reliability."""
    yield _tickets(world.rng("support"), world.clock, world.users, outages)


def _tickets(rng: np.random.Generator, c: Clock, u: Users, outages: Outages) -> Table:
    """Long-lived users write more; customers write in right after a P0/P1 they can see."""
    n = u.signup.size
    m = max(40, int(n * 0.45))
    weight = np.where(u.long_lived, 3.0, 1.0)
    who = rng.choice(n, m, p=weight / weight.sum())
    span = (u.last_seen[who] - u.signup[who]) // DAY + 3
    day = u.day[who] + (rng.random(m) * span).astype(np.int64)
    created = np.maximum(c.t0 + day * DAY + time_of_day(rng, m), u.signup[who] + 300)
    category = rng.choice(5, m, p=[0.2, 0.25, 0.3, 0.15, 0.1])
    priority = rng.choice(4, m, p=[0.25, 0.5, 0.2, 0.05])

    # Outage bursts: customers write in right after a P0/P1 on a customer-facing service.
    burst = np.flatnonzero((outages.severity <= 1) & outages.customer_facing)
    size = 2 + rng.poisson(1 + 0.004 * _alive_at(u, outages.detected[burst]))
    owner = np.repeat(burst, size)
    at = outages.detected[owner] + 60 + rng.exponential(1500, owner.size).astype(np.int64)
    joined = np.searchsorted(u.signup, at)
    writer = (rng.random(owner.size) * joined).astype(np.int64)
    valid = joined > 0
    who = np.concatenate([who, writer[valid]])
    created = np.concatenate([created, at[valid]])
    category = np.concatenate([category, np.full(int(valid.sum()), 5)])
    priority = np.concatenate([priority, rng.choice([2, 3], int(valid.sum()), p=[0.6, 0.4])])
    keep = created < c.end
    order = np.argsort(created[keep], kind="stable")
    who, created, category, priority = (x[keep][order] for x in (who, created, category, priority))

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
    return Table(
        "support_tickets",
        {
            "ticket_id": ids("tkt_", np.arange(1, t + 1), 7),
            "user_id": who + 1,
            "created_at": created,
            "priority": Cat(priority, ("low", "normal", "high", "urgent")),
            "category": Cat(
                category, ("billing", "bug", "how_to", "account", "feature_request", "outage")
            ),
            "first_agent_response_at": null_where(~answered | (responded >= c.end), responded),
            "resolved_at": null_where(~solved, resolved),
            "reopened_count": reopened,
            "satisfaction_score": null_where(~rated, score),
        },
    )


def _alive_at(u: Users, times: np.ndarray) -> np.ndarray:
    """How many users have signed up and not yet lapsed at each time."""
    joined = np.searchsorted(u.signup, times, side="right")
    return joined - np.searchsorted(np.sort(u.last_seen), times)
