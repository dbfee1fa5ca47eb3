"""Customer voice: NPS answers and feedback, both following the users' engagement."""

from __future__ import annotations

from collections.abc import Generator

import numpy as np

from nexus_pipelines.generator.columns import DAY, NULL, Cat, Table, ids
from nexus_pipelines.generator.world import Clock, Users, World, time_of_day


def tables(world: World) -> Generator[Table, None, np.ndarray]:
    """One stream, drawn in this order: NPS, then feedback. Returns when each piece of feedback
    arrived (in id order), which delivery's work items answer."""
    rng, c, u = world.rng("voice"), world.clock, world.users
    yield _nps_responses(rng, c, u)
    feedback = _feedback_items(rng, c, u)
    yield feedback
    return np.asarray(feedback.columns["received_at"])


def _nps_responses(rng: np.random.Generator, c: Clock, u: Users) -> Table:
    """NPS 30 days after signup and quarterly after; engaged users promote more."""
    users, days = [], []
    for offset in range(30, c.days, 90):
        asked = np.flatnonzero((u.life >= offset) & (u.day + offset < c.days))
        answered = asked[rng.random(asked.size) < 0.22]
        users.append(answered)
        days.append(u.day[answered] + offset)
    who, day = np.concatenate(users), np.concatenate(days)
    responded = c.t0 + day * DAY + time_of_day(rng, who.size)
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
    return Table(
        "nps_responses",
        {
            "response_id": ids("nps_", np.arange(1, who.size + 1), 7),
            "user_id": who + 1,
            "responded_at": responded,
            "score": score,
        },
    )


def _feedback_items(rng: np.random.Generator, c: Clock, u: Users) -> Table:
    """Feedback from known users while active, anonymous from review sites and social."""
    n = u.signup.size
    m = max(40, int(n * 0.08))
    sources = ("in_app", "support", "survey", "review_site", "social")
    source = rng.choice(len(sources), m, p=[0.35, 0.25, 0.2, 0.1, 0.1])
    anonymous = source >= 3
    who = rng.integers(0, n, m)
    span = np.maximum(u.last_seen[who] - u.signup[who], 0)
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
    return Table(
        "feedback_items",
        {
            "feedback_id": ids("fb_", np.arange(1, m + 1), 6),
            "user_id": np.where(anonymous, NULL, who + 1)[order],
            "received_at": received[order],
            "source": Cat(source[order], sources),
            "theme": Cat(theme[order], themes),
            "sentiment": Cat(np.minimum(sentiment, 2)[order], ("positive", "neutral", "negative")),
        },
    )
