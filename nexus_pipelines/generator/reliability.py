"""Reliability: services, deployments and their commits, incidents and five-minute probes.

Reliability is driven by incidents: a P0/P1 fails its service's probes while it lasts (and brings
a burst of support tickets, see `Outages`), and some incidents point at the deployment that caused
them. Rates are set so that uptime and deploy frequency meet the playbook while MTTR misses it.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from nexus_pipelines.generator.columns import (
    DAY,
    Cat,
    Table,
    hex_strings,
    ids,
    labels,
    null_where,
    text,
)
from nexus_pipelines.generator.world import PRODUCT_IDS, WORK_HOURS, Clock, World, time_of_day

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
_NAMES = [s[0] for s in _SERVICES]
_FACING = np.array([s[2] for s in _SERVICES])
_INSIGHTS = _NAMES.index("insights_engine")  # its product launches late: quiet until then
_SEVERITIES = ("P0", "P1", "P2", "P3")
_TITLES = (
    "elevated error rate",
    "latency degradation",
    "partial outage",
    "failed background jobs",
    "login failures",
    "delayed data",
    "broken layout",
)


class Outages(NamedTuple):
    """Incidents in detection order as customers notice them: support's outage tickets follow."""

    severity: np.ndarray  # index into P0..P3
    customer_facing: np.ndarray
    detected: np.ndarray  # epoch seconds


def tables(world: World) -> Generator[Table, None, Outages]:
    """One stream, drawn in this order: deployments, incidents, commits, probes."""
    rng, c, launch = world.rng("reliability"), world.clock, world.launch
    yield Table(
        "services",
        {
            "service_id": _NAMES,
            "product_id": Cat(
                np.array([PRODUCT_IDS.index(s[1]) if s[1] else -1 for s in _SERVICES]),
                PRODUCT_IDS,
            ),
            "customer_facing": _FACING,
        },
    )
    service, deployed, env, failed = _deployments(rng, c, launch)
    rolled_back = ~failed & (rng.random(deployed.size) < 0.02)
    deployment_ids = ids("dep_", np.arange(1, deployed.size + 1), 6)

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
    where[(where == _INSIGHTS) & ~caused & (detected < c.t0 + launch[1] * DAY)] = 0
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
    no_text = pa.scalar(None, pa.string())
    yield Table(
        "incidents",
        {
            "incident_id": ids("inc_", np.arange(1, n + 1), 4),
            "severity": Cat(severity, _SEVERITIES),
            "service_id": Cat(where, _NAMES),
            "title": text(
                labels(where, _NAMES), ": ", labels(rng.integers(0, len(_TITLES), n), _TITLES)
            ),
            "detected_at": detected,
            "acknowledged_at": null_where(acknowledged >= c.end, acknowledged),
            "resolved_at": null_where(still_open, fixed),
            "caused_by_deployment_id": pc.if_else(
                pa.array(caused), pc.take(deployment_ids, pa.array(cause)), no_text
            ),
            "postmortem_completed_at": null_where(~reviewed | (postmortem >= c.end), postmortem),
        },
    )
    yield Table(
        "deployments",
        {
            "deployment_id": deployment_ids,
            "service_id": Cat(service, _NAMES),
            "environment": Cat(env, ("production", "staging")),
            "deployed_at": deployed,
            "status": Cat(failed.astype(np.int8), ("success", "failed")),
            "rolled_back": rolled_back,
        },
    )
    commits = 1 + rng.poisson(2.5, deployed.size)
    owner = np.repeat(np.arange(deployed.size), commits)
    lead = (18 * 3600 * rng.lognormal(0, 1.0, owner.size)).astype(np.int64)
    lead[rng.random(owner.size) < 0.03] = 0  # hotfixes deployed the second they land
    yield Table(
        "deployment_commits",
        {
            "deployment_id": pc.take(deployment_ids, pa.array(owner)),
            "commit_sha": hex_strings(rng, owner.size),
            "committed_at": np.maximum(deployed[owner] - lead, c.t0),
        },
    )
    # Probes fail while an incident lasts, also for incidents whose ticket is never closed.
    yield _health_checks(rng, c, severity, where, detected, np.minimum(fixed, c.end))
    return Outages(severity, _FACING[where], detected)


def _deployments(
    rng: np.random.Generator, c: Clock, launch: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Several production deploys per weekday per service, more to staging, few at weekends."""
    days = np.arange(c.days)
    rate = np.array([s[3] for s in _SERVICES])[:, None] * np.where(c.weekday(days) < 5, 1.0, 0.12)
    rate[_INSIGHTS, days < launch[1]] *= 0.2
    service, day, env = [], [], []
    for environment, factor in enumerate((1.0, 1.5)):
        counts = rng.poisson(rate * factor)
        s, d = np.nonzero(counts)
        service.append(np.repeat(s, counts[s, d]))
        day.append(np.repeat(d, counts[s, d]))
        env.append(np.full(int(counts.sum()), environment))
    service_, day_, env_ = (np.concatenate(x) for x in (service, day, env))
    deployed = c.t0 + day_ * DAY + time_of_day(rng, day_.size, WORK_HOURS)
    order = np.lexsort((service_, deployed))
    failed = rng.random(order.size) < 0.05
    return service_[order], deployed[order], env_[order], failed


def _health_checks(
    rng: np.random.Generator,
    c: Clock,
    severity: np.ndarray,
    where: np.ndarray,
    detected: np.ndarray,
    ended: np.ndarray,
) -> Table:
    """A probe every 5 minutes; outages fail probes, maintenance windows are flagged."""
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
            i0, i1 = np.searchsorted(checked, [detected[k] - 120, ended[k]])
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
    return Table(
        "health_checks",
        {
            "service_id": Cat(service_, _NAMES),
            "checked_at": checked_,
            "ok": ok_,
            "latency_ms": np.round(latency_, 1),
            "planned_maintenance": maintenance_,
        },
    )
