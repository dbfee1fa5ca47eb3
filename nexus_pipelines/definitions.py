"""The code location: every asset, check, schedule, sensor and resource of nexus-pipelines."""

from __future__ import annotations

import dagster as dg

from nexus_pipelines.cadences import SCHEDULED, build_retention_purge_schedule, build_schedule
from nexus_pipelines.erasure_jobs import PURGE_OP, erasure, retention_purge
from nexus_pipelines.partitions import partitioning_name
from nexus_pipelines.project import Project, project
from nexus_pipelines.raw_assets import build_landing_sensor, build_raw_assets
from nexus_pipelines.reports import build_report_assets
from nexus_pipelines.run_health import build_run_health_sensor
from nexus_pipelines.settings import load_settings
from nexus_pipelines.sql_assets import build_sql_assets
from nexus_pipelines.warehouse import Warehouse

# One DuckDB file takes one writer, so steps run one after another either way; in the run's own
# process they measured faster than a process per step (docs/benchmarks.md).
EXECUTORS = {"in_process": dg.in_process_executor, "multiprocess": dg.multiprocess_executor}


def rebuild_job_name(partitioning: str) -> str:
    return f"rebuild_{partitioning}"


def _rebuild_jobs(assets: list[dg.AssetsDefinition]) -> list[dg.UnresolvedAssetJobDefinition]:
    """What `nexus materialize` runs: one job per partitioning (a Dagster job holds one), each
    with every unpartitioned asset, so that a run takes whatever of either its upstreams allow.
    The schedules and the UI run the cadence jobs instead (nexus_pipelines/cadences.py)."""
    keys_by_partitioning: dict[str, list[dg.AssetKey]] = {}
    for definition in assets:
        name = partitioning_name(definition.partitions_def)
        keys_by_partitioning.setdefault(name, []).extend(definition.keys)
    unpartitioned = keys_by_partitioning.pop("none", [])
    if not keys_by_partitioning:  # nothing partitioned: the planner's one run is unpartitioned
        keys_by_partitioning["none"] = []
    return [
        dg.define_asset_job(
            rebuild_job_name(name),
            selection=dg.AssetSelection.assets(*keys, *unpartitioned),
            description=f"Every {name}-partitioned asset and every unpartitioned one, over a "
            "range of partitions in one run: `nexus materialize` runs these in dependency order. "
            "The schedules run the cadence jobs.",
        )
        for name, keys in sorted(keys_by_partitioning.items())
    ]


def _offered(source: Project, name: str) -> list:
    """The builders the domains' modules offer under one name (see nexus_pipelines/domains/);
    each is called with the project, so its settings are the ones loaded for it."""
    return [
        getattr(domain.module, name)
        for domain in source.domains.values()
        if domain.module is not None and hasattr(domain.module, name)
    ]


def build_definitions(source: Project | None = None) -> dg.Definitions:
    """Everything the domains of `source` (this project by default) declare and provide."""
    source = source or project()
    raw_assets = build_raw_assets()
    metric_assets = [
        *build_sql_assets(source),
        *(assets for build in _offered(source, "build_assets") for assets in build(source)),
    ]
    upstream = {key: assets.partitions_def for assets in metric_assets for key in assets.keys}
    assets = [raw_assets, *metric_assets, *build_report_assets(source, upstream)]
    resources = {
        "warehouse": Warehouse(schemas=source.schemas),
        **{
            name: r
            for build in _offered(source, "build_resources")
            for name, r in build(source).items()
        },
    }
    return dg.Definitions(
        assets=assets,
        schedules=[
            *(build_schedule(cadence, assets) for cadence in SCHEDULED),
            build_retention_purge_schedule(retention_purge, PURGE_OP),
        ],
        jobs=[*_rebuild_jobs(assets), erasure, retention_purge],
        sensors=[
            build_landing_sensor(raw_assets),
            build_run_health_sensor(),
            *(sensor for build in _offered(source, "build_sensors") for sensor in build(source)),
        ],
        resources=resources,
        executor=EXECUTORS[load_settings().executor],
    )


defs = build_definitions()
