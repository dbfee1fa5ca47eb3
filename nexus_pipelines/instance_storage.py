"""The instance's SQLite storage, with an event log that keeps its database connections open.

Dagster's SQLite event log builds a new SQLAlchemy engine for every event it writes (NullPool,
so a new file connection, a recompiled statement and a checkpoint each time), and commits with a
full fsync. A two-year demo rebuild writes about 1,400 events: that cost 9 of its 30 seconds
(docs/benchmarks.md). This log keeps one engine per database file while the process lives and
commits with `synchronous=NORMAL`, which in SQLite's WAL mode (Dagster's) cannot corrupt the file:
a power cut may lose the last events, never the log. Production runs on Postgres
(deploy/dagster.yaml), where none of this applies.

`dagster-instance.yaml` selects it as the instance's custom storage. It subclasses Dagster's own
classes, so the Dagster pin in pyproject.toml bounds it; tests/test_instance_storage.py runs
it through a real instance, a run and the webserver's live event watch.
"""

from __future__ import annotations

import contextlib
import os
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

import sqlalchemy
from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    SQLITE_BUSY_TIMEOUT_SECONDS,
    SqliteEventLogStorage,
    SqliteEventLogStorageWatchdog,
)
from dagster._core.storage.sqlite_storage import DagsterSqliteStorage
from dagster._serdes import ConfigurableClassData

# A webserver reads many runs' files: keep the engines of the latest few, close the others.
OPEN_DATABASES = 8


class _LiveRunWatchdog(SqliteEventLogStorageWatchdog):
    """Dagster's watch of a run's events, woken by its write-ahead log too.

    An open connection's commits land in `<run>.db-wal` and reach `<run>.db` only at a
    checkpoint, so watching the database file alone would leave a run's live log still."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._patterns = [self._log_path, f"{self._log_path}-wal"]

    def on_modified(self, event: Any) -> None:
        self._process_log()


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    """Dagster's run-sharded SQLite event log, with one engine per database file."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None) -> None:
        self._engines: OrderedDict[str, sqlalchemy.Engine] = OrderedDict()
        super().__init__(base_dir, inst_data)

    @classmethod
    def from_config_value(  # ty: ignore[invalid-method-override]
        cls, inst_data: ConfigurableClassData | None, config_value: Any
    ) -> PooledSqliteEventLogStorage:
        return cls(inst_data=inst_data, **config_value)

    def _engine(self, shard: str) -> sqlalchemy.Engine:
        """The shard's engine, made (and its database initialised) on first use."""
        engine = self._engines.get(shard)
        if engine is not None:
            self._engines.move_to_end(shard)
            return engine
        engine = sqlalchemy.create_engine(
            self.conn_string_for_shard(shard),
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS},
        )
        sqlalchemy.event.listen(engine, "connect", _commit_without_fsync)
        if shard not in self._initialized_dbs:
            self._initdb(engine)
            self._initialized_dbs.add(shard)
        self._engines[shard] = engine
        while len(self._engines) > OPEN_DATABASES:
            self._engines.popitem(last=False)[1].dispose()
        return engine

    @contextlib.contextmanager
    def _connect(self, shard: str) -> Iterator[sqlalchemy.Connection]:
        with self._db_lock, self._engine(shard).connect() as connection, connection.begin():
            yield connection

    def watch(self, run_id: str, cursor: str | None, callback: Any) -> None:
        super().watch(run_id, cursor, callback)
        # replace the watch Dagster just scheduled with one that also sees the write-ahead log
        assert self._obs is not None
        plain, scheduled = self._watchers[run_id][callback]
        self._obs.remove_handler_for_watch(plain, scheduled)
        live = _LiveRunWatchdog(self, run_id, callback, cursor)
        self._watchers[run_id][callback] = (live, self._obs.schedule(live, self._base_dir))

    def _close_engines(self) -> None:
        with self._db_lock:
            for engine in self._engines.values():
                engine.dispose()
            self._engines.clear()

    def wipe(self) -> None:
        self._close_engines()  # the run files are deleted: no connection may keep them alive
        super().wipe()

    def dispose(self) -> None:
        self._close_engines()
        super().dispose()


def _commit_without_fsync(connection: Any, _record: Any) -> None:
    connection.execute("PRAGMA synchronous=NORMAL")


class NexusSqliteStorage(DagsterSqliteStorage):
    """Dagster's default SQLite storage (runs, schedules, events under one folder), with the
    pooled event log."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None) -> None:
        super().__init__(base_dir, inst_data)
        # Dagster's own layout of the folder: run-sharded event files under history/runs/
        self._event_log_storage = PooledSqliteEventLogStorage(
            os.path.join(base_dir, "history", "runs", "")
        )

    @classmethod
    def from_config_value(  # ty: ignore[invalid-method-override]
        cls, inst_data: ConfigurableClassData, config_value: Any
    ) -> NexusSqliteStorage:
        return cls.from_local(inst_data=inst_data, **config_value)
