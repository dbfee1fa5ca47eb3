"""The project's instance storage: Dagster's SQLite layout with an event log that keeps its
connections open (nexus_pipelines/instance_storage.py). It must record runs as Dagster's own
does, and a watcher in another process (the webserver's live run log) must still see events."""

from __future__ import annotations

import sqlite3
import threading
import uuid
from pathlib import Path

import dagster as dg
import yaml

from nexus_pipelines.instance_storage import PooledSqliteEventLogStorage
from nexus_pipelines.settings import PROJECT_DIR


@dg.asset
def counted() -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={"rows": 3})


COUNTED_JOB = dg.Definitions(
    assets=[counted], jobs=[dg.define_asset_job("counted_job")]
).resolve_job_def("counted_job")


def project_instance() -> dg.DagsterInstance:
    overrides = yaml.safe_load((PROJECT_DIR / "dagster-instance.yaml").read_text())
    return dg.instance_for_test(overrides=overrides)


def test_the_project_instance_records_runs_and_materialisations_in_its_sqlite_files() -> None:
    with project_instance() as instance:
        assert isinstance(instance.event_log_storage, PooledSqliteEventLogStorage)
        for _ in range(2):
            assert COUNTED_JOB.execute_in_process(instance=instance).success
        records = instance.fetch_materializations(dg.AssetKey("counted"), limit=10).records
        assert len(records) == 2
        assert records[0].asset_materialization.metadata["rows"] == dg.IntMetadataValue(3)
        # what another process reads from the files, without this process's connections
        runs_dir = Path(instance.root_directory) / "history" / "runs"
        with sqlite3.connect(runs_dir / "index.db") as index:
            materialised = index.execute(
                "select count(*) from event_logs where dagster_event_type = "
                "'ASSET_MATERIALIZATION' and asset_key like '%counted%'"
            ).fetchone()[0]
        assert materialised == 2
        assert len(list(runs_dir.glob("*-*.db"))) == 2  # one file per run, as Dagster lays out


def test_commits_skip_the_fsync_in_wal_mode() -> None:
    with project_instance() as instance:
        storage = instance.event_log_storage
        assert isinstance(storage, PooledSqliteEventLogStorage)
        with storage.index_connection() as connection:
            journal = connection.exec_driver_sql("PRAGMA journal_mode").scalar()
            synchronous = connection.exec_driver_sql("PRAGMA synchronous").scalar()
        assert (journal, synchronous) == ("wal", 1)  # 1 = NORMAL: durable at checkpoints


def test_a_watcher_in_another_process_sees_a_run_s_events_as_they_are_written() -> None:
    """The webserver's live log watches the run's file; commits of an open connection land in
    its write-ahead log, so the watch must wake on that too."""
    with project_instance() as instance:
        storage = instance.event_log_storage
        assert isinstance(storage, PooledSqliteEventLogStorage)
        webserver_view = PooledSqliteEventLogStorage(storage._base_dir)  # another reader
        run_id = str(uuid.uuid4())
        seen: list[str] = []
        finished = threading.Event()

        def on_event(entry: dg.EventLogEntry, _cursor: str) -> None:
            seen.append(entry.dagster_event_type.value if entry.dagster_event_type else "log")
            if entry.dagster_event_type == dg.DagsterEventType.RUN_SUCCESS:
                finished.set()

        webserver_view.watch(run_id, None, on_event)
        try:
            assert COUNTED_JOB.execute_in_process(instance=instance, run_id=run_id).success
            assert finished.wait(timeout=15), f"the watch saw only {seen}"
        finally:
            webserver_view.end_watch(run_id, on_event)
            webserver_view.dispose()
        assert "ASSET_MATERIALIZATION" in seen and seen[-1] == "PIPELINE_SUCCESS"
