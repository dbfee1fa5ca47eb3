"""Market: the optional feeds a company's researchers and listening tool export, market signals
(a few a week) and brand mentions (a few a day, their sentiment dipping after customer-facing
outages)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from nexus_pipelines.generator.columns import DAY, Cat, Table
from nexus_pipelines.generator.reliability import Outages
from nexus_pipelines.generator.world import World, time_of_day

_CATEGORIES = ("competitor", "pricing", "technology", "regulation", "customer", "macro")
# (category, subject, summary) the researchers keep coming back to
_SIGNALS = (
    (0, "Northwind Analytics", "launched a free tier for small teams"),
    (0, "Contoso Insights", "raised a Series C and is hiring sales in Europe"),
    (1, "Northwind Analytics", "raised its per-seat price by 15 %"),
    (1, "Market", "usage-based pricing spreading among mid-market tools"),
    (2, "AI assistants", "buyers ask for natural-language queries in demos"),
    (2, "Warehouse-native BI", "more prospects keep their data in their own warehouse"),
    (3, "EU AI Act", "transparency duties for AI features from August"),
    (3, "GDPR enforcement", "fines for missing processor agreements up this year"),
    (4, "Mid-market buyers", "procurement asks for SOC 2 reports earlier"),
    (4, "Churned customers", "cite onboarding time as the main reason"),
    (5, "SaaS budgets", "software budgets flat; consolidation of tools"),
)
_IMPACTS = ("opportunity", "threat", "neutral")
_CHANNELS = ("social", "news", "review", "forum", "blog")


def tables(world: World, outages: Outages) -> Iterator[Table]:
    """Signals first, then mentions, each from its own stream."""
    yield _market_signals(world)
    yield _brand_mentions(world, outages)


def _market_signals(world: World) -> Table:
    rng, c = world.rng("market_signals"), world.clock
    per_week = rng.poisson(3.0, c.days // 7 + 1)
    week = np.repeat(np.arange(per_week.size), per_week)
    day = np.minimum(week * 7 + rng.integers(0, 5, week.size), c.days - 1)
    which = rng.integers(0, len(_SIGNALS), day.size)
    order = np.lexsort((which, day))
    day, which = day[order], which[order]
    impact = rng.choice(3, day.size, p=[0.4, 0.35, 0.25])
    return Table(
        "market_signals",
        {
            "signal_id": [f"sig_{i + 1:05d}" for i in range(day.size)],
            "observed_on": c.day0 + day,
            "category": Cat(np.array([_SIGNALS[w][0] for w in which]), _CATEGORIES),
            "subject": [_SIGNALS[w][1] for w in which],
            "summary": [_SIGNALS[w][2] for w in which],
            "impact": Cat(impact, _IMPACTS),
            "strength": rng.integers(1, 6, day.size),
            "source": ["analyst notes"] * day.size,
        },
    )


def _brand_mentions(world: World, outages: Outages) -> Table:
    rng, c = world.rng("brand_mentions"), world.clock
    # mentions grow with the company: from 2 to 8 a day over the window
    per_day = rng.poisson(2.0 + 6.0 * np.arange(c.days) / c.days)
    day = np.repeat(np.arange(c.days), per_day)
    at = np.sort(c.t0 + day * DAY + time_of_day(rng, day.size))
    m = at.size
    # a customer-facing P0/P1 in the three days before pulls sentiment down
    facing = outages.detected[outages.customer_facing & (outages.severity <= 1)]
    recent = np.searchsorted(facing, at) - 1
    after_outage = (recent >= 0) & (at - facing[np.maximum(recent, 0)] < 3 * DAY)
    sentiment = np.clip(rng.normal(0.25, 0.35, m) - np.where(after_outage, 0.5, 0.0), -1, 1)
    return Table(
        "brand_mentions",
        {
            "mention_id": [f"men_{i + 1:06d}" for i in range(m)],
            "mentioned_at": at,
            "channel": Cat(rng.choice(5, m, p=[0.5, 0.1, 0.15, 0.15, 0.1]), _CHANNELS),
            "sentiment": np.round(sentiment, 2),
            "reach": np.round(rng.lognormal(6.0, 1.5, m)).astype(np.int64),
            "on_brand": rng.random(m) < 0.9,
            "url": [None] * m,
        },
    )
