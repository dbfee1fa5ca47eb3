"""A synthetic company whose raw exports make every playbook metric meaningful.

The data is generated from a few latent traits per user rather than table by table, because the
metrics only mean something when the tables agree with each other. `world` draws what several
domains share (the window, the users and their traits, the team, the experiment plans) before the
first table is built; then one module per domain turns it into that domain's tables: `growth`,
`revenue` (billing and finance), `reliability`, `support`, and, for tables without a project
domain yet, the contract's own groups: `voice`, `experiments` (with campaigns), `content`,
`compliance`, `delivery`, and the optional feeds of `market`.

Equal arguments give byte-identical files (tests/test_generator_bytes.py holds the output to the
byte), so the order of the random draws is fixed. There is no shared generator: every stream is
named (`world.stream`: the seed and the name's CRC-32), so one domain's draws never shift
another's. Inside a stream the order is part of the output: where one stream serves several
tables (a block of growth's events, then its feature use; revenue's billing, then its money;
reliability's deployments, incidents, commits, probes; voice; compliance's security and documents)
the module draws them in that sequence, and a new draw belongs in a new stream, not between them.
Between domains only data flows, in the order `_tables` lists: the campaigns' comeback visits feed
growth's events, the incidents feed support's outage tickets.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

from nexus_pipelines.generator import (
    compliance,
    content,
    delivery,
    experiments,
    growth,
    market,
    reliability,
    revenue,
    support,
    voice,
)
from nexus_pipelines.generator.columns import Table
from nexus_pipelines.generator.world import (
    DEMO_DAYS,
    DEMO_USERS,
    EXPERIMENTS,
    TRUE_EFFECTS,
    World,
    build_world,
)
from nexus_pipelines.generator.writer import Writer

__all__ = ["DEMO_DAYS", "DEMO_USERS", "EXPERIMENTS", "TRUE_EFFECTS", "generate_company"]


def generate_company(
    out_dir: Path, users: int, days: int, start: date, seed: int, fmt: str = "parquet"
) -> dict[str, int]:
    """Write one folder per contract table into out_dir and return the rows written per table.

    Everything is dated in [start, start + days) except due dates and budgets, which may be
    ahead. Equal arguments give byte-identical files.
    """
    if fmt not in ("parquet", "csv"):
        raise ValueError(f"fmt must be parquet or csv, not {fmt!r}")
    if users < 200 or days < 60:
        raise ValueError("need at least 200 users and 60 days for cohorts, experiments and months")
    writer = Writer(Path(out_dir), fmt)
    for table in _tables(build_world(users, days, start, seed)):
        writer.write(table)
    return dict(writer.rows)


def _tables(world: World) -> Iterator[Table]:
    """Tables one by one, written as they are built, so the company is never all in memory."""
    revivals = yield from experiments.campaigns(world)
    yield from growth.tables(world, revivals)
    yield from revenue.tables(world)
    outages = yield from reliability.tables(world)
    yield from support.tables(world, outages)
    feedback_received = yield from voice.tables(world)
    yield from experiments.tables(world)
    yield from content.tables(world)
    yield from compliance.tables(world)
    yield from delivery.tables(world, outages, feedback_received)
    yield from market.tables(world, outages)
