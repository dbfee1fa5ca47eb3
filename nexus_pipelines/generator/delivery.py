"""Delivery: work items through the flow, created, started and done."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from nexus_pipelines.generator.columns import DAY, Cat, Table, ids, null_where
from nexus_pipelines.generator.world import WORK_HOURS, World, time_of_day


def tables(world: World) -> Iterator[Table]:
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
    yield Table(
        "work_items",
        {
            "work_item_id": ids("wi_", np.arange(1, m + 1), 6),
            "item_type": Cat(kind, ("feature", "bug", "chore")),
            "team": Cat(
                rng.choice(5, m), ("platform", "growth", "monetisation", "insights", "infra")
            ),
            "created_at": created,
            "started_at": null_where(not_started, started),
            "done_at": null_where(not_done, done),
        },
    )
