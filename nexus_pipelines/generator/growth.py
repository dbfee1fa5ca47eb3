"""Growth: products, users, their events and feature use, and the invites behind referrals.

Activity follows the users' latent traits: activated users (`project_created` within 7 days) get
a long lifetime and a high daily-visit probability, so cohort retention, feature adoption and paid
conversion all follow from activation. Sessions follow an hour-of-day curve, so some activity
lands just after midnight UTC and calendar-day retention is not the same as 24-hour retention.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator

import numpy as np

from nexus_pipelines.generator.columns import DAY, NULL, Cat, Table, ranges
from nexus_pipelines.generator.experiments import Revivals
from nexus_pipelines.generator.world import (
    CHANNELS,
    COUNTRIES,
    PLANS,
    PRODUCT_IDS,
    PRODUCTS,
    SEGMENTS,
    Clock,
    Users,
    World,
    time_of_day,
)

ACTIVATION_EVENT = "project_created"
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
_ACTIVE_WEEKDAY = np.array([1.0, 1.0, 1.0, 1.0, 0.95, 0.7, 0.75])
# feature, adoption among activated users, use per session by adopters, launch (fraction)
_FEATURES = (
    ("dashboards", 0.70, 0.45, 0.0),
    ("reports", 0.45, 0.35, 0.0),
    ("integrations", 0.25, 0.30, 0.0),
    ("automations", 0.15, 0.50, 0.0),
    ("mobile_app", 0.18, 0.40, 0.0),
    ("ai_assistant", 0.30, 0.45, 0.5),
)
_USERS_PER_PART = 25_000  # events and feature usage are written per block of users


def tables(world: World, revivals: Revivals) -> Iterator[Table]:
    """The users are the world's; growth adds what they did, campaigns' comebacks included."""
    c, u = world.clock, world.users
    yield _products(c, world.launch, world.sunset)
    yield _users(u)
    yield from _activity(world, revivals)
    yield _invites(world.rng("invites"), u)


def _products(c: Clock, launch: np.ndarray, sunset: np.ndarray) -> Table:
    return Table(
        "products",
        {
            "product_id": PRODUCT_IDS,
            "name": [p[1] for p in PRODUCTS],
            "launched_on": c.day0 + launch,
            "status": Cat((sunset < c.days).astype(np.int8), ("active", "sunset")),
        },
    )


def _users(u: Users) -> Table:
    return Table(
        "users",
        {
            "user_id": np.arange(1, u.signup.size + 1),
            "signup_at": u.signup,
            "acquisition_channel": Cat(u.channel, CHANNELS),
            "referrer_user_id": np.where(u.referrer >= 0, u.referrer + 1, NULL),
            "plan": Cat(u.plan, PLANS),
            "segment": Cat(u.segment, SEGMENTS),
            "country": Cat(u.country, COUNTRIES),
            "product_id": Cat(u.product, PRODUCT_IDS),
        },
    )


def _activity(world: World, revivals: Revivals) -> Iterator[Table]:
    """Events and feature usage in blocks of users, each block its own stream, to bound memory."""
    u, n = world.users, world.users.signup.size
    adoption_rng = world.rng("feature_adoption")
    boost = np.where(u.activated, 1.0, 0.35)
    adopted = [adoption_rng.random(n) < f[1] * boost for f in _FEATURES]
    first_event, first_usage = 1, 1
    for part, lo in enumerate(range(0, n, _USERS_PER_PART)):
        hi = min(lo + _USERS_PER_PART, n)
        first_event, first_usage = yield from _block(
            world, revivals, adopted, part, lo, hi, first_event, first_usage
        )


def _block(
    world: World,
    revivals: Revivals,
    adopted: list[np.ndarray],
    part: int,
    lo: int,
    hi: int,
    first_event: int,
    first_usage: int,
) -> Generator[Table, None, tuple[int, int]]:
    """One block of users and its next free ids; its arrays are gone before the next block's."""
    rng, c = world.rng(f"activity/{part}"), world.clock
    events, s_user, s_start = _events(rng, c, world.users, revivals, lo, hi, first_event, part)
    yield events
    usage = _feature_usage(rng, c, adopted, s_user, s_start, first_usage, part)
    yield usage
    return (
        first_event + events.columns["event_id"].size,
        first_usage + usage.columns["usage_id"].size,
    )


def _events(
    rng: np.random.Generator,
    c: Clock,
    u: Users,
    revivals: Revivals,
    lo: int,
    hi: int,
    first_event: int,
    part: int,
) -> tuple[Table, np.ndarray, np.ndarray]:
    """The block's events, and its sessions (user, start) that feature use happens in."""
    users = np.arange(lo, hi)
    alive = np.minimum(np.floor(u.life[users]), c.days - 1 - u.day[users]).astype(np.int64)
    day_user = np.repeat(users, np.maximum(alive, 0))
    day = u.day[day_user] + 1 + ranges(np.maximum(alive, 0))
    visits = rng.random(day.size) < u.visit[day_user] * _ACTIVE_WEEKDAY[c.weekday(day)]
    r0, r1 = np.searchsorted(revivals.user, [lo, hi])
    day_user = np.concatenate([day_user[visits], revivals.user[r0:r1]])
    day = np.concatenate([day[visits], revivals.day[r0:r1]])

    # Sessions: one at signup, then 1+ on each active day.
    per_day = 1 + rng.poisson(0.35, day.size)
    s_user = np.concatenate([users, np.repeat(day_user, per_day)])
    s_start = np.concatenate(
        [
            u.signup[users],
            c.t0 + np.repeat(day, per_day) * DAY + time_of_day(rng, int(per_day.sum())),
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
    order = np.argsort(e_user * (c.days * DAY) + (e_time - c.t0), kind="stable")
    e_user, e_time, e_name = e_user[order], e_time[order], e_name[order]
    events = Table(
        "events",
        {
            "event_id": np.arange(first_event, first_event + e_user.size),
            "user_id": e_user + 1,
            "occurred_at": e_time,
            "event_name": Cat(e_name, EVENT_NAMES),
            "product_id": Cat(u.product[e_user], PRODUCT_IDS),
        },
        part,
    )
    return events, s_user, s_start


def _feature_usage(
    rng: np.random.Generator,
    c: Clock,
    adopted: list[np.ndarray],
    s_user: np.ndarray,
    s_start: np.ndarray,
    first_usage: int,
    part: int,
) -> Table:
    f_user, f_time, f_code = [], [], []
    for code, (_, _, per_session, launch) in enumerate(_FEATURES):
        used = adopted[code][s_user] & (rng.random(s_user.size) < per_session)
        used &= s_start >= c.t0 + c.window(launch) * DAY
        f_user.append(s_user[used])
        f_time.append(s_start[used] + rng.integers(30, 900, int(used.sum())))
        f_code.append(np.full(int(used.sum()), code, np.int8))
    user, time, code = np.concatenate(f_user), np.concatenate(f_time), np.concatenate(f_code)
    keep = time < c.end
    user, time, code = user[keep], time[keep], code[keep]
    order = np.argsort(user * (c.days * DAY) + (time - c.t0), kind="stable")
    return Table(
        "feature_usage",
        {
            "usage_id": np.arange(first_usage, first_usage + user.size),
            "user_id": user[order] + 1,
            "feature": Cat(code[order], [f[0] for f in _FEATURES]),
            "used_at": time[order],
        },
        part,
    )


def _invites(rng: np.random.Generator, u: Users) -> Table:
    """Every referral signup has an accepted invite; most invites are never accepted."""
    referred = np.flatnonzero(u.referrer >= 0)
    inviter = u.referrer[referred]
    room = u.signup[referred] - u.signup[inviter]
    sent = u.signup[referred] - np.minimum(rng.exponential(2 * DAY, referred.size), room)
    pool = np.flatnonzero(u.activated)
    lost = pool[rng.integers(0, pool.size, int(referred.size * 3.5) + 5)]
    span = np.maximum(u.last_seen[lost] - u.signup[lost], 0)
    lost_sent = u.signup[lost] + (rng.random(lost.size) * span).astype(np.int64)
    inviters = np.concatenate([inviter, lost])
    sent_at = np.concatenate([sent.astype(np.int64), lost_sent])
    accepted = np.concatenate([referred, np.full(lost.size, -1)])
    order = np.argsort(sent_at, kind="stable")
    inviters, sent_at, accepted = inviters[order], sent_at[order], accepted[order]
    return Table(
        "invites",
        {
            "invite_id": np.arange(1, inviters.size + 1),
            "inviter_user_id": inviters + 1,
            "sent_at": sent_at,
            "accepted_user_id": np.where(accepted >= 0, accepted + 1, NULL),
            "accepted_at": np.where(accepted >= 0, u.signup[np.maximum(accepted, 0)], NULL),
        },
    )
