"""Running the code location from the command line, recorded in the Dagster instance so the
runs and materialisations show in the UI afterwards."""

from __future__ import annotations

import os
import time
from datetime import date
from pathlib import Path

import dagster as dg

from nexus_pipelines.contract import load_contract
from nexus_pipelines.ingest import IngestReport, ensure_ingest_tables, ingest_files
from nexus_pipelines.partitions import DAILY
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


def everything_job() -> dg.JobDefinition:
    """Module-level, so Dagster can rebuild the job in step subprocesses (multiprocess executor)."""
    from nexus_pipelines.definitions import EVERYTHING_JOB, defs

    return defs.resolve_job_def(EVERYTHING_JOB)


def materialize_everything(
    start: date | None = None,
    end: date | None = None,
    ingest: bool = True,
    instance: dg.DagsterInstance | None = None,
) -> str:
    """One run: ingest the landing folder, backfill the daily assets over [start, end] in a
    single pass (their backfill policy), then everything downstream. Returns the run id."""
    start_key = (start or DAILY.start.date()).isoformat()
    end_key = end.isoformat() if end else DAILY.get_last_partition_key()
    if end_key is None or end_key < start_key:
        raise ValueError(f"No daily partitions between {start_key} and {end_key}")
    selection = [
        key
        for key in everything_job().asset_layer.executable_asset_keys
        if ingest or key.path[0] != "raw"
    ]
    begun = time.perf_counter()
    with dg.execute_job(
        dg.reconstructable(everything_job),
        instance=instance or dagster_instance(),
        asset_selection=selection,
        tags={
            "dagster/asset_partition_range_start": start_key,
            "dagster/asset_partition_range_end": end_key,
            "nexus/trigger": "nexus materialize",
        },
        # the step-by-step DEBUG events stay in the event log (and the UI), not on the terminal
        run_config={"loggers": {"console": {"config": {"log_level": "INFO"}}}},
        raise_on_error=True,
    ) as result:
        run_id = result.run_id
    print(
        f"Materialised {len(selection)} assets (daily partitions {start_key} .. {end_key}) "
        f"in run {run_id} in {time.perf_counter() - begun:.1f} s"
    )
    return run_id
