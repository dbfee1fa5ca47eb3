"""Experiments and re-engagement campaigns: designs whose true effects are known.

Experiments carry the effects in `TRUE_EFFECTS` (one with a deliberate sample-ratio mismatch) so
the analysis can be checked against the truth; campaigns hold out a comparison group, and only
targeted users get the extra comeback visits (`Revivals`, which growth turns into activity).
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from typing import NamedTuple

import numpy as np

from nexus_pipelines.generator.columns import DAY, NULL, Cat, Table
from nexus_pipelines.generator.world import EXPERIMENTS, World, assign

# campaign id, name, channel, start (fraction of the period)
_CAMPAIGNS = (
    ("cmp_winback_email", "Win-back email", "email", 0.30),
    ("cmp_comeback_push", "Come-back push", "push", 0.55),
    ("cmp_in_app_tips", "In-app tips", "in_app", 0.80),
)
_REVIVAL_CHANCE = {"targeted": 0.30, "holdout": 0.08}


class Revivals(NamedTuple):
    """Extra active days of users who came back after a campaign, sorted by user."""

    user: np.ndarray
    day: np.ndarray


def campaigns(world: World) -> Generator[Table, None, Revivals]:
    """Lapsed users are selected; targeted ones come back more often than the holdout."""
    rng, c, u = world.rng("campaigns"), world.clock, world.users
    rows, revival_user, revival_day = [], [], []
    for number, (_, _, _, fraction) in enumerate(_CAMPAIGNS):
        day = c.window(fraction)
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
    revivals = Revivals(users[order][keep], days[order][keep])
    number, user, targeted, selected = (np.concatenate(x) for x in zip(*rows, strict=True))
    yield Table(
        "campaigns",
        {
            "campaign_id": [x[0] for x in _CAMPAIGNS],
            "name": [x[1] for x in _CAMPAIGNS],
            "channel": [x[2] for x in _CAMPAIGNS],
            "started_at": c.t0 + np.array([c.window(x[3]) for x in _CAMPAIGNS]) * DAY,
        },
    )
    yield Table(
        "campaign_targets",
        {
            "campaign_id": Cat(number, [x[0] for x in _CAMPAIGNS]),
            "user_id": user + 1,
            "target_group": Cat(np.where(targeted, 0, 1), ("targeted", "holdout")),
            "selected_at": selected,
        },
    )
    return revivals


def tables(world: World) -> Iterator[Table]:
    """The experiments, their variants, who got which and what each user then did."""
    rng, c, u = world.rng("experiments"), world.clock, world.users
    labels = sorted({v for e in EXPERIMENTS for v in e.variants})
    assignments, variants = [], []
    for number, exp in enumerate(EXPERIMENTS):
        lo, hi = c.window(exp.window[0]), c.window(exp.window[1])
        if exp.population == "signups":
            users, variant, assigned = world.signup_assignments[exp.experiment_id]
            value = u.activated[users].astype(np.float64)  # its effect is in the events
        else:
            users = np.flatnonzero((u.day < hi) & (u.day + u.life > lo))
            first = np.maximum(u.signup[users], c.t0 + lo * DAY)
            last = np.minimum(u.last_seen[users], c.t0 + hi * DAY - 1)
            room = np.maximum(last - first, 0) * 0.3
            assigned = first + (rng.random(users.size) * room).astype(np.int64)
            variant = assign(rng, users.size, exp.assigned)
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
    yield Table(
        "experiments",
        {
            "experiment_id": [e.experiment_id for e in EXPERIMENTS],
            "name": [e.name for e in EXPERIMENTS],
            "primary_metric": [e.metric for e in EXPERIMENTS],
            "metric_type": [e.metric_type for e in EXPERIMENTS],
            "started_at": c.t0 + np.array([c.window(e.window[0]) for e in EXPERIMENTS]) * DAY,
            "ended_at": np.array(
                [
                    NULL if e.window[1] is None else c.t0 + c.window(e.window[1]) * DAY
                    for e in EXPERIMENTS
                ]
            ),
            "rolled_out_variant": [e.rolled_out for e in EXPERIMENTS],
        },
    )
    ids = [e.experiment_id for e in EXPERIMENTS]
    number_, name_, control_, share_ = zip(*variants, strict=True)
    yield Table(
        "experiment_variants",
        {
            "experiment_id": Cat(np.array(number_), ids),
            "variant": list(name_),
            "is_control": np.array(control_),
            "planned_share": np.array(share_),
        },
    )
    number, users, label, assigned, value, observed = (
        np.concatenate(x) for x in zip(*assignments, strict=True)
    )
    yield Table(
        "experiment_assignments",
        {
            "experiment_id": Cat(number, ids),
            "user_id": users + 1,
            "variant": Cat(label, labels),
            "assigned_at": assigned,
        },
    )
    seen = observed < c.end
    yield Table(
        "experiment_outcomes",
        {
            "experiment_id": Cat(number[seen], ids),
            "user_id": users[seen] + 1,
            "metric_value": value[seen],
            "observed_at": observed[seen],
        },
    )
