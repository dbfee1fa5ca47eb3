"""Running the code location from the command line, recorded in the Dagster instance so the
runs and materialisations show in the UI afterwards."""

from __future__ import annotations

import os
import time
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import dagster as dg
from dagster._core.definitions.data_version import DATA_VERSION_TAG
from dagster._core.execution.api import execute_run
from dagster._core.remote_origin import RemoteJobOrigin, RemoteRepositoryOrigin
from dagster._core.workspace.load import location_origins_from_yaml_paths

from nexus_pipelines.contract import load_contract
from nexus_pipelines.ingest import (
    IngestReport,
    ensure_ingest_tables,
    ingest_files,
    ingest_lock,
)
from nexus_pipelines.partitions import (
    NEWEST_PERIOD,
    REBUILD_TAG,
    last_complete_day,
    partitioning_name,
    partitions_for,
)
from nexus_pipelines.raw_assets import (
    loaded_files_version,
    raw_key,
    raw_table_metadata,
    results_by_table,
)
from nexus_pipelines.run_health import announce_pool_waits, fail_dead_runs, process_tags
from nexus_pipelines.settings import PROJECT_DIR, load_settings
from nexus_pipelines.warehouse import Warehouse, data_range


def dagster_instance() -> dg.DagsterInstance:
    """The project's instance when DAGSTER_HOME is set (make does), else a throwaway one."""
    if os.environ.get("DAGSTER_HOME"):
        return dg.DagsterInstance.get()
    print("DAGSTER_HOME is not set: runs are not kept (use `make demo` / `make ui`).")
    return dg.DagsterInstance.ephemeral()


def ingest_landing(
    landing_dir: Path, files: list[Path] | None = None, instance: dg.DagsterInstance | None = None
) -> IngestReport:
    """Load files directly, then tell the instance which raw tables changed (the project's
    instance when DAGSTER_HOME is set and none is given)."""
    from nexus_pipelines.ingest import list_landing_files

    settings = load_settings()
    tables = load_contract()
    # the lock first: a waiting ingest then holds nothing, and lists the folder once it may load
    with ingest_lock(settings), Warehouse().get_connection() as connection:
        paths = files if files is not None else list_landing_files(landing_dir)
        ensure_ingest_tables(connection)
        report = ingest_files(connection, paths, landing_dir, settings)
        events = [
            dg.AssetMaterialization(
                asset_key=raw_key(name),
                description=f"Loaded from {landing_dir} by nexus",
                metadata=raw_table_metadata(connection, tables[name], results),
                # what the landing sensor compares the folder with, as a sensor's run records it
                tags={DATA_VERSION_TAG: loaded_files_version(connection, name).value},
            )
            for name, results in results_by_table(report.files).items()
            if name in tables
        ]
    if instance is None and os.environ.get("DAGSTER_HOME"):
        instance = dg.DagsterInstance.get()
    if instance is not None:
        for event in events:
            instance.report_runless_asset_event(event)
    return report


def ingest_lines(report: IngestReport, every_file: bool) -> list[str]:
    """What the terminal shows of an ingest: each file (or only the rejected ones), then the
    totals, which always add up: rows in = loaded + quarantined + duplicates + suppressed."""
    lines = []
    for result in report.files:
        if every_file or result.status == "rejected":
            lines.append(
                f"{result.status:<8} {result.path}: {result.rows_in} in, {result.loaded} loaded, "
                f"{result.quarantined} quarantined, {result.duplicates} duplicates, "
                f"{result.suppressed} suppressed"
                + (f"\n         {result.error}" if result.error else "")
            )
    count = Counter(result.status for result in report.files)
    lines.append(
        f"{len(report.files)} files ({count['loaded']} loaded, {count['skipped']} already "
        f"loaded, {count['rejected']} rejected): "
        f"{sum(r.rows_in for r in report.files):,} rows in, "
        f"{sum(r.loaded for r in report.files):,} loaded, "
        f"{sum(r.quarantined for r in report.files):,} quarantined, "
        f"{sum(r.duplicates for r in report.files):,} duplicates, "
        f"{sum(r.suppressed for r in report.files):,} suppressed"
    )
    return lines


def location_job(name: str) -> dg.JobDefinition:
    """Module-level, so Dagster can rebuild the job in step subprocesses (multiprocess executor)."""
    from nexus_pipelines.definitions import defs

    return defs.resolve_job_def(name)


def _job_origin(job_name: str) -> RemoteJobOrigin:
    """The job as the UI knows it: in the code location that workspace.yaml loads. A job's page
    lists the runs labelled with its repository and code location, and a run gets that label
    only from its job's origin, which `execute_job` leaves unset."""
    from nexus_pipelines.definitions import defs

    (location,) = location_origins_from_yaml_paths([str(PROJECT_DIR / "workspace.yaml")])
    repository = RemoteRepositoryOrigin(location, defs.get_repository_def().name)
    return RemoteJobOrigin(repository, job_name)


def execute_job_run(
    job_name: str,
    instance: dg.DagsterInstance,
    keys: list[dg.AssetKey],
    tags: dict[str, str],
    run_config: dict,
) -> str:
    """`dg.execute_job`, with the run created under its job's origin (_job_origin) so that it
    shows on the job's page like a run launched from the UI. Returns the run's id. `keys`
    selects assets of an asset job; an op job takes none."""
    job = dg.build_reconstructable_job(
        "nexus_pipelines.runner", "location_job", reconstructable_args=(job_name,)
    )
    definition = job.get_definition()
    run = instance.create_run_for_job(
        job_def=definition,
        run_config=run_config,
        tags={**definition.run_tags, **tags},
        asset_selection=frozenset(keys) if keys else None,
        remote_job_origin=_job_origin(definition.name),
        job_code_origin=job.get_python_origin(),
    )
    execute_run(job, run, instance)
    return run.run_id


COARSENESS = {"none": 0, "days_by_month": 1, "weekly": 2, "monthly": 3, "quarterly": 4}


@dataclass(frozen=True)
class PlannedRun:
    partitioning: str  # a name of partitions.py, or "none": a run of unpartitioned assets only
    keys: tuple[dg.AssetKey, ...]
    newest_period: bool = False  # reports: the range's newest complete period only


def plan_runs(assets: list[dg.AssetsDefinition], ingest: bool = True) -> list[PlannedRun]:
    """Runs in dependency order, as few as possible. A Dagster job holds one partitioning, so
    each run takes, for one partitioning, every remaining asset of it (or unpartitioned) whose
    upstreams are done or in the same run. Every order of partitionings is tried (a handful: at
    most one candidate per partitioning a step) and the one with the fewest runs kept; among
    equals, the one whose each run goes to the partitioning that can run the most, and on a tie
    the coarser one (tests/test_runner.py: two runs where a greedy order needs three). Reports
    tagged to render their newest period come last, one run per partitioning: nothing reads
    them, and a range of their periods would render each."""
    upstream: dict[dg.AssetKey, set[dg.AssetKey]] = {}
    partitioning: dict[dg.AssetKey, str] = {}
    newest: dict[str, list[dg.AssetKey]] = {}
    for definition in assets:
        for key in definition.keys:
            if not ingest and key.path[0] == "raw":
                continue
            name = partitioning_name(definition.partitions_def)
            if definition.tags_by_key.get(key, {}).get(REBUILD_TAG) == NEWEST_PERIOD:
                newest.setdefault(name, []).append(key)
                continue
            upstream[key] = set(definition.asset_deps.get(key, set()))
            partitioning[key] = name
    read = {key for keys in newest.values() for key in keys} & set().union(*upstream.values())
    if read:
        names = sorted(key.to_user_string() for key in read)
        raise ValueError(f"{names} render their newest period only, yet other assets read them")
    return [
        *_fewest_runs(set(upstream), upstream, partitioning),
        *(
            PlannedRun(name, tuple(sorted(keys, key=lambda k: k.to_user_string())), True)
            for name, keys in sorted(newest.items(), key=lambda item: COARSENESS[item[0]])
        ),
    ]


def _fewest_runs(
    remaining: set[dg.AssetKey],
    upstream: dict[dg.AssetKey, set[dg.AssetKey]],
    partitioning: dict[dg.AssetKey, str],
) -> list[PlannedRun]:
    if not remaining:
        return []
    candidates = {partitioning[key] for key in remaining} - {"none"} or {"none"}
    options = sorted(
        ((name, _runnable(name, remaining, upstream, partitioning)) for name in candidates),
        key=lambda item: (len(item[1]), COARSENESS[item[0]]),
        reverse=True,
    )
    best: list[PlannedRun] | None = None
    for name, keys in options:
        if not keys:
            continue
        run = PlannedRun(name, tuple(sorted(keys, key=lambda k: k.to_user_string())))
        plan = [run, *_fewest_runs(remaining - keys, upstream, partitioning)]
        if best is None or len(plan) < len(best):
            best = plan
    if best is None:
        names = sorted(key.to_user_string() for key in remaining)
        raise ValueError(f"dependency cycle among {names}")
    return best


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


def partition_range_tags(
    partitioning: str, start: date, end: date, newest_period: bool = False
) -> dict[str, str] | None:
    """The run's partition range (only its newest partition when told), or None when the range
    holds no complete partition."""
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
    last = min(last, complete)
    return {
        "dagster/asset_partition_range_start": last if newest_period else first,
        "dagster/asset_partition_range_end": last,
    }


@dataclass
class RunOutcome:
    """What one run did, read back from the instance's record, not from the plan."""

    run_id: str
    partitioning: str
    window: str
    status: str
    materialized: list[str]
    failed: dict[str, str]  # asset -> the error of the step that should have written it
    skipped: list[str]
    seconds: float
    reports: bool = False  # a run of reports, for their newest period

    def line(self) -> str:
        what = f"{self.partitioning} reports" if self.reports else self.partitioning
        text = (
            f"Run {self.run_id} ({what}: {self.window}) {self.status} in "
            f"{self.seconds:.1f} s: {len(self.materialized)} assets materialised, "
            f"{len(self.skipped)} skipped, {len(self.failed)} failed"
        )
        for asset, error in sorted(self.failed.items()):
            text += f"\n  failed  {asset}: {error}"
        for asset in self.skipped:
            text += f"\n  skipped {asset}"
        return text


@dataclass
class MaterializeSummary:
    runs: list[RunOutcome]
    not_started: list[str]  # assets of runs not started because an earlier run failed
    files_rejected: int = 0

    @property
    def ok(self) -> bool:
        return (
            not self.files_rejected
            and not self.not_started
            and all(
                not run.failed and not run.skipped and run.status == "SUCCESS" for run in self.runs
            )
        )

    @property
    def run_ids(self) -> list[str]:
        return [run.run_id for run in self.runs]

    def line(self) -> str:
        materialized = sum(len(run.materialized) for run in self.runs)
        failed = sum(len(run.failed) for run in self.runs)
        skipped = sum(len(run.skipped) for run in self.runs) + len(self.not_started)
        return (
            f"{materialized} assets materialised, {skipped} skipped or not started, "
            f"{failed} failed, in {len(self.runs)} runs"
            + (f"; {self.files_rejected} landing files rejected" if self.files_rejected else "")
        )


def _default_range() -> tuple[date, date]:
    """The days the raw data covers, within the founding date and yesterday."""
    settings = load_settings()
    yesterday = last_complete_day()
    found = None
    if settings.duckdb_path.exists():
        with Warehouse().get_connection(read_only=True) as connection:
            found = data_range(connection)
    if found is None:
        raise ValueError(
            f"The warehouse {settings.duckdb_path} holds no raw data yet: put files in "
            f"{settings.landing_dir} (docs/raw-data-contract.md), or give --start and --end."
        )
    return max(found[0], settings.founded_on), min(found[1], yesterday)


def _outcome(
    instance: dg.DagsterInstance,
    run_id: str,
    planned: PlannedRun,
    keys: list[dg.AssetKey],
    window: str,
    seconds: float,
) -> RunOutcome:
    from nexus_pipelines.definitions import defs

    run = instance.get_run_by_id(run_id)
    written = {
        record.event_log_entry.dagster_event.asset_key
        for record in instance.get_records_for_run(
            run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION
        ).records
    }
    step_errors = {}
    for record in instance.get_records_for_run(
        run_id, of_type=dg.DagsterEventType.STEP_FAILURE
    ).records:
        event = record.event_log_entry.dagster_event
        error = event.step_failure_data.error
        step_errors[event.step_key] = (error.message.strip().splitlines() or ["failed"])[-1]
    failed, skipped = {}, []
    for key in keys:
        if key in written:
            continue
        step = defs.resolve_assets_def(key).node_def.name
        if step in step_errors:
            failed[key.to_user_string()] = step_errors[step]
        else:
            skipped.append(key.to_user_string())
    return RunOutcome(
        run_id=run_id,
        partitioning=planned.partitioning,
        window=window,
        status=run.status.value if run else "UNKNOWN",
        materialized=sorted(key.to_user_string() for key in written & set(keys)),
        failed=failed,
        skipped=sorted(skipped),
        seconds=seconds,
        reports=planned.newest_period,
    )


def materialize_everything(
    start: date | None = None,
    end: date | None = None,
    ingest: bool = True,
    instance: dg.DagsterInstance | None = None,
    trigger: dict[str, str] | None = None,
) -> MaterializeSummary:
    """Ingest the landing folder and materialise every asset, each partitioned asset over the
    partitions of [start, end] in one pass (its backfill policy), upstream runs first. The range
    defaults to the days the raw data covers. Stops at the first run that does not do all its
    work: the later runs read what it should have written. `trigger`: the runs' tags saying
    what started them (default: `nexus materialize`)."""
    from nexus_pipelines.definitions import defs, rebuild_job_name

    instance = instance or dagster_instance()
    rejected = 0
    if ingest:  # first, so that the range can default to what the data covers
        report = ingest_landing(load_settings().landing_dir, instance=instance)
        print("\n".join(ingest_lines(report, every_file=False)), flush=True)
        rejected = sum(result.status == "rejected" for result in report.files)
    default_first, default_last = _default_range() if start is None or end is None else (start, end)
    first_day, last_day = start or default_first, end or default_last
    if last_day < first_day:
        raise ValueError(f"No days between {first_day} and {last_day}")
    summary = MaterializeSummary(runs=[], not_started=[], files_rejected=rejected)
    plan = plan_runs(list(defs.assets), ingest=False)
    for index, planned in enumerate(plan):
        tags = partition_range_tags(
            planned.partitioning, first_day, last_day, planned.newest_period
        )
        keys = list(planned.keys)
        if tags is None:  # e.g. no complete month yet: run the unpartitioned ones only
            keys = _readers_of_nothing_partitioned(defs, keys)
            print(
                f"{planned.partitioning}: no complete partition between {first_day} and "
                f"{last_day}; {len(planned.keys) - len(keys)} assets wait for one.",
                flush=True,
            )
            tags = {}
            if not keys:
                continue
        for run_id in fail_dead_runs(instance, by="nexus materialize"):
            print(f"Run {run_id}: its process is gone (killed or crashed); marked failed.")
        begun = time.perf_counter()
        with announce_pool_waits(instance):
            run_id = execute_job_run(
                rebuild_job_name(planned.partitioning),
                instance,
                keys,
                tags | process_tags() | (trigger or {"nexus/trigger": "nexus materialize"}),
                # the step-by-step DEBUG events stay in the event log (and the UI), not the terminal
                {"loggers": {"console": {"config": {"log_level": "INFO"}}}},
            )
        window = (
            f"{tags['dagster/asset_partition_range_start']} .. "
            f"{tags['dagster/asset_partition_range_end']}"
            if tags
            else "unpartitioned"
        )
        outcome = _outcome(instance, run_id, planned, keys, window, time.perf_counter() - begun)
        summary.runs.append(outcome)
        print(outcome.line(), flush=True)
        if outcome.failed or outcome.skipped or outcome.status != "SUCCESS":
            summary.not_started = sorted(
                key.to_user_string() for later in plan[index + 1 :] for key in later.keys
            )
            break
    return summary


def _partitioning_of(defs: dg.Definitions, key: dg.AssetKey) -> str:
    return partitioning_name(defs.resolve_assets_def(key).partitions_def)


def _readers_of_nothing_partitioned(
    defs: dg.Definitions, keys: list[dg.AssetKey]
) -> list[dg.AssetKey]:
    """Of a run whose range holds no partition, the unpartitioned assets that read nothing the
    partitioned ones of the run (not run) would write, directly or through another."""
    waiting = {key for key in keys if _partitioning_of(defs, key) != "none"}
    grown = True
    while grown:
        readers = {
            key
            for key in set(keys) - waiting
            if defs.resolve_assets_def(key).asset_deps.get(key, set()) & waiting
        }
        grown = bool(readers)
        waiting |= readers
    return [key for key in keys if key not in waiting]
