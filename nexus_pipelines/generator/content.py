"""Content: posts per platform on daily and weekly cadences, reach growing over the period."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from nexus_pipelines.generator.columns import DAY, Cat, Table, ids
from nexus_pipelines.generator.world import World, time_of_day


def tables(world: World) -> Iterator[Table]:
    """Daily and weekly cadences per platform, with some weeks below the playbook's target."""
    rng, c = world.rng("content"), world.clock
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
    published = c.t0 + day_ * DAY + time_of_day(rng, day_.size)
    order = np.argsort(published, kind="stable")
    platform_, kind_, day_, published = (x[order] for x in (platform_, kind_, day_, published))
    reach = np.array([1500.0, 3000.0, 8000.0, 900.0])[platform_] * (1 + day_ / c.days)
    impressions = np.round(reach * rng.lognormal(0, 0.7, day_.size)).astype(np.int64)
    rate = np.array([0.02, 0.04, 0.06, 0.03])[platform_] * rng.lognormal(0, 0.3, day_.size)
    yield Table(
        "content_posts",
        {
            "post_id": ids("post_", np.arange(1, day_.size + 1), 6),
            "platform": Cat(platform_, platforms),
            "post_type": Cat(kind_, post_types),
            "published_at": published,
            "impressions": impressions,
            "engagements": rng.binomial(impressions, np.minimum(rate, 1.0)),
        },
    )
