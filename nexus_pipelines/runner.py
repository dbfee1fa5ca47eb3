"""Running the code location from the command line, recorded in the Dagster instance so the
runs and materialisations show in the UI afterwards."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import dagster as dg

from nexus_pipelines.contract import load_contract
from nexus_pipelines.ingest import IngestReport, ensure_ingest_tables, ingest_files
from nexus_pipelines.partitions import DAILY, partitioning_name, partitions_for
from nexus_pipelines.raw_assets import raw_key, raw_table_metadata, results_by_table
from nexus_pipelines.settings import load_settings
from nexus_pipelines.warehouse import Warehouse


def dagster_instance() -> dg.DagsterInstance:
    """The project's instance when DAGSTER_HOME is set (make does), else a throwaway one."""
    if os.environ.get("DAGSTER_HOME"):
        return dg.DagsterInstance.get()
    print("DAGSTER_HOME is not set: runs are not kept (use `make demo` / `make ui`).")
    return dg.DagsterInstance.ephemeral()


def ingest_landing(landing_dir: Path, files: list[Path] | None = None) -> IngestReport:
    """`nexus ingest`: load files directly, then tell the instance which raw tables changed."""
    from nexus_pipelines.ingest import list_landing_files

    settings = load_settings()
    paths = files if files is not None else list_landing_files(landing_dir)
    tables = load_contract()
    with Warehouse().connect() as connection:
        ensure_ingest_tables(connection)
        report = ingest_files(connection, paths, landing_dir, settings)
        events = [
            dg.AssetMaterialization(
                asset_key=raw_key(name),
                description=f"Loaded by `nexus ingest {landing_dir}`",
                metadata=raw_table_metadata(connection, tables[name], results),
            )
            for name, results in results_by_table(report.files).items()
            if name in tables
        ]
    if os.environ.get("DAGSTER_HOME"):
        instance = dg.DagsterInstance.get()
        for event in events:
            instance.report_runless_asset_event(event)
    return report


def materialize_job(partitioning: str) -> dg.JobDefinition:
    """Module-level, so Dagster can rebuild the job in step subprocesses (multiprocess executor)."""
    from nexus_pipelines.definitions import defs, materialize_job_name

    return defs.resolve_job_def(materialize_job_name(partitioning))


COARSENESS = {"none": 0, "daily": 1, "monthly": 2}


@dataclass(frozen=True)
class PlannedRun:
    partitioning: str  # "daily", "monthly", or "none" for a run of unpartitioned assets only
    keys: tuple[dg.AssetKey, ...]


def plan_runs(assets: list[dg.AssetsDefinition], ingest: bool = True) -> list[PlannedRun]:
    """Runs in dependency order, as few as possible. A Dagster job holds one partitioning, so
    each run takes, for one partitioning, every remaining asset of it (or unpartitioned) whose
    upstreams are done or in the same run; the partitioning that can run the most goes first, and
    on a tie the coarser one, so that the costly daily run (an event per day and asset) can take
    in more assets afterwards."""
    upstream: dict[dg.AssetKey, set[dg.AssetKey]] = {}
    partitioning: dict[dg.AssetKey, str] = {}
    for definition in assets:
        for key in definition.keys:
            if not ingest and key.path[0] == "raw":
                continue
            upstream[key] = set(definition.asset_deps.get(key, set()))
            partitioning[key] = partitioning_name(definition.partitions_def)
    remaining: set[dg.AssetKey] = set(upstream)
    runs = []
    while remaining:
        candidates = {partitioning[key] for key in remaining} - {"none"} or {"none"}
        name, keys = max(
            ((name, _runnable(name, remaining, upstream, partitioning)) for name in candidates),
            key=lambda item: (len(item[1]), COARSENESS[item[0]]),
        )
        if not keys:
            names = sorted(key.to_user_string() for key in remaining)
            raise ValueError(f"dependency cycle among {names}")
        runs.append(PlannedRun(name, tuple(sorted(keys, key=lambda k: k.to_user_string()))))
        remaining -= keys
    return runs


def _runnable(
    name: str,
    remaining: set[dg.AssetKey],
    upstream: dict[dg.AssetKey, set[dg.AssetKey]],
    partitioning: dict[dg.AssetKey, str],
) -> set[dg.AssetKey]:
    """The remaining assets one run of this partitioning can hold, upstreams first."""
    chosen: set[dg.AssetKey] = set()
    grown = True
    while grown:
        grown = False
        for key in remaining - chosen:
            if partitioning[key] in (name, "none") and upstream[key] & remaining <= chosen:
                chosen.add(key)
                grown = True
    return chosen


def _range_tags(partitioning: str, start: date, end: date) -> dict[str, str] | None:
    """The run's partition range, or None when the range holds no complete partition."""
    partitions = partitions_for(partitioning)
    if partitions is None:
        return {}
    first = partitions.get_partition_key_for_timestamp(
        datetime.combine(start, datetime.min.time(), tzinfo=load_settings().tz).timestamp()
    )
    last = partitions.get_partition_key_for_timestamp(
        datetime.combine(end, datetime.min.time(), tzinfo=load_settings().tz).timestamp()
    )
    complete = partitions.get_last_partition_key()
    if complete is None or first > complete:
        return None
    return {
        "dagster/asset_partition_range_start": first,
        "dagster/asset_partition_range_end": min(last, complete),
    }


def materialize_everything(
    start: date | None = None,
    end: date | None = None,
    ingest: bool = True,
    instance: dg.DagsterInstance | None = None,
) -> list[str]:
    """Ingest the landing folder and materialise every asset, each partitioned asset over the
    partitions of [start, end] in one pass (its backfill policy), upstream runs first.
    Returns the run ids."""
    from nexus_pipelines.definitions import defs

    first_day = start or DAILY.start.date()
    last_day = end or date.fromisoformat(DAILY.get_last_partition_key() or first_day.isoformat())
    if last_day < first_day:
        raise ValueError(f"No days between {first_day} and {last_day}")
    instance = instance or dagster_instance()
    run_ids = []
    for planned in plan_runs(list(defs.assets), ingest):
        tags = _range_tags(planned.partitioning, first_day, last_day)
        keys = list(planned.keys)
        if tags is None:  # e.g. no complete month yet: run the unpartitioned ones only
            keys = [key for key in keys if _partitioning_of(defs, key) == "none"]
            tags = {}
            if not keys:
                continue
        begun = time.perf_counter()
        job = "none" if not tags else planned.partitioning
        with dg.execute_job(
            dg.build_reconstructable_job(
                "nexus_pipelines.runner", "materialize_job", reconstructable_args=(job,)
            ),
            instance=instance,
            asset_selection=keys,
            tags=tags | {"nexus/trigger": "nexus materialize"},
            # the step-by-step DEBUG events stay in the event log (and the UI), not the terminal
            run_config={"loggers": {"console": {"config": {"log_level": "INFO"}}}},
            raise_on_error=True,
        ) as result:
            run_ids.append(result.run_id)
        window = (
            f"{tags['dagster/asset_partition_range_start']} .. "
            f"{tags['dagster/asset_partition_range_end']}"
            if tags
            else "unpartitioned"
        )
        print(
            f"Materialised {len(keys)} assets ({planned.partitioning}: {window}) "
            f"in run {result.run_id} in {time.perf_counter() - begun:.1f} s"
        )
    return run_ids


def _partitioning_of(defs: dg.Definitions, key: dg.AssetKey) -> str:
    return partitioning_name(defs.resolve_assets_def(key).partitions_def)
