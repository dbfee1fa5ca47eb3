"""The code location: every asset, check, schedule, sensor and resource of nexus-pipelines."""

from __future__ import annotations

import os

import dagster as dg

from nexus_pipelines import growth, reliability, revenue
from nexus_pipelines.cadences import SCHEDULED, build_review_assets, build_schedule
from nexus_pipelines.raw_assets import build_landing_sensor, build_raw_assets
from nexus_pipelines.scorecard import build_scorecard_asset
from nexus_pipelines.sql_assets import build_sql_assets
from nexus_pipelines.warehouse import Warehouse

# One DuckDB file takes one writer, so steps run one after another either way; in the run's own
# process they measured faster than a process per step (docs/benchmarks.md).
EXECUTORS = {"in_process": dg.in_process_executor, "multiprocess": dg.multiprocess_executor}
EVERYTHING_JOB = "materialize_everything"


def build_definitions() -> dg.Definitions:
    raw_assets = build_raw_assets()
    metric_assets = [
        *build_sql_assets(),
        *growth.build_assets(),
        *revenue.build_assets(),
        *reliability.build_assets(),
    ]
    upstream = [key for assets in metric_assets for key in assets.keys]
    assets = [
        raw_assets,
        *metric_assets,
        build_scorecard_asset(upstream),
        *build_review_assets(),
    ]
    return dg.Definitions(
        assets=assets,
        schedules=[build_schedule(cadence, assets) for cadence in SCHEDULED],
        jobs=[
            dg.define_asset_job(
                EVERYTHING_JOB,
                selection=dg.AssetSelection.all(),
                description="Every asset: what `nexus materialize` and `make demo` run.",
            )
        ],
        sensors=[build_landing_sensor(raw_assets), *reliability.build_sensors()],
        resources={"warehouse": Warehouse(), **reliability.build_resources()},
        executor=EXECUTORS[os.environ.get("NEXUS_EXECUTOR", "in_process")],
    )


defs = build_definitions()
