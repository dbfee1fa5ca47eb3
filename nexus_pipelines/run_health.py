"""Runs whose process is gone, and runs waiting for the warehouse.

The `duckdb` pool admits one step at a time. A run killed mid-step (kill -9, a crashed machine)
never releases its slot, and Dagster cannot tell on its own that a run launched in-process (the
CLI's, or `dagster dev`'s default launcher) has died: every later run would wait for ever. So
each run records the process that executes it (host, pid and the process's start time, which
tells a reused pid apart), and the CLI before each run and a sensor every minute mark the runs
whose process is gone as failed and free their slots. Runs queued behind a live holder are told
who holds the warehouse, since when, at INFO in their own log.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
from dagster._core.storage.dagster_run import FINISHED_STATUSES, RunsFilter

POOL = "duckdb"
PID_TAG = "nexus/pid"
HOST_TAG = "nexus/host"
PROCESS_STARTED_TAG = "nexus/process_started"
UNFINISHED = [
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
]


def _process_start(pid: int) -> str | None:
    """The process's start time in clock ticks since boot ('' where unknown), or None when no
    such process is running (a zombie counts as gone)."""
    if Path("/proc/self/stat").exists():
        try:
            # the command name (field 2) may hold spaces: count the fields after its bracket
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            return None
        except OSError:
            return ""
        return None if fields[0] in ("Z", "X") else fields[19]
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass
    return ""


def process_tags() -> dict[str, str]:
    """Run tags naming this process as the one executing the run."""
    pid = os.getpid()
    return {
        PID_TAG: str(pid),
        HOST_TAG: socket.gethostname(),
        PROCESS_STARTED_TAG: _process_start(pid) or "",
    }


def process_is_gone(tags: dict[str, str]) -> bool:
    """True only when the run's process ran on this host and is certainly not running now."""
    if tags.get(HOST_TAG) != socket.gethostname() or not tags.get(PID_TAG, "").isdigit():
        return False
    started = _process_start(int(tags[PID_TAG]))
    if started is None:
        return True
    recorded = tags.get(PROCESS_STARTED_TAG, "")
    return bool(recorded and started and recorded != started)  # the pid now names another process


def inherited_process(instance: dg.DagsterInstance, run: dg.DagsterRun) -> bool:
    """True when the run's process tags are its parent's: a re-execution (Dagster's automatic
    retry of a killed run, say) copies the parent's tags, naming the parent's process, until
    the new run records its own."""
    if not run.parent_run_id or PID_TAG not in run.tags:
        return False
    parent = instance.get_run_by_id(run.parent_run_id)
    return parent is not None and all(
        parent.tags.get(tag) == run.tags.get(tag)
        for tag in (PID_TAG, HOST_TAG, PROCESS_STARTED_TAG)
    )


def record_run_process(instance: dg.DagsterInstance, run: dg.DagsterRun) -> None:
    """Tag a run launched elsewhere (UI, schedule, sensor, a retry) with the process executing
    it, in place of any tags copied from the run it re-executes."""
    if PID_TAG not in run.tags or inherited_process(instance, run):
        instance.add_run_tags(run.run_id, process_tags())


def fail_dead_runs(instance: dg.DagsterInstance, by: str) -> list[str]:
    """Mark unfinished runs whose process is gone as failed and free every slot a finished run
    still holds. Returns the ids of the runs marked failed."""
    failed = []
    for record in instance.get_run_records(RunsFilter(statuses=UNFINISHED)):
        run = record.dagster_run
        # a retry of a killed run starts out with the killed process's tags: not its own yet
        if process_is_gone(run.tags) and not inherited_process(instance, run):
            instance.report_run_failed(
                run,
                message=f"The process that ran this run (pid {run.tags[PID_TAG]} on "
                f"{run.tags[HOST_TAG]}) is gone: killed or crashed. Marked failed by {by} so "
                "that its hold on the warehouse is released.",
            )
            failed.append(run.run_id)
    holders = instance.event_log_storage.get_concurrency_run_ids()
    if holders:
        finished = instance.get_run_records(
            RunsFilter(run_ids=list(holders), statuses=FINISHED_STATUSES)
        )
        for record in finished:
            instance.event_log_storage.free_concurrency_slots_for_run(record.dagster_run.run_id)
    return failed


def _since(record: dg.RunRecord) -> str:
    started = record.start_time or record.create_timestamp.timestamp()
    return datetime.fromtimestamp(started, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def pool_waits(
    instance: dg.DagsterInstance, waiting_runs: Callable[[set[str]], set[str]] | None = None
) -> list[tuple[str, str]]:
    """(waiting run id, message) for each run with a step queued on the warehouse pool while
    another run holds it; waiting_runs narrows the waiting run ids (the CLI: its own runs)."""
    info = instance.event_log_storage.get_concurrency_info(POOL)
    # a step assigned a slot holds it from then on, before it claims it
    holders = {slot.run_id for slot in info.claimed_slots} | info.assigned_run_ids
    waiting = {step.run_id for step in info.pending_steps if step.assigned_timestamp is None}
    waiting -= holders
    if waiting and holders and waiting_runs is not None:
        waiting = waiting_runs(waiting)
    if not waiting or not holders:
        return []
    records = instance.get_run_records(RunsFilter(run_ids=sorted(holders)))
    held_by = "; ".join(
        f"run {record.dagster_run.run_id} ({record.dagster_run.job_name}, "
        f"{record.dagster_run.status.value}) holds it since {_since(record)}"
        for record in records
    )
    return [(run_id, f"Waiting for the warehouse: {held_by}.") for run_id in sorted(waiting)]


def runs_of_this_process(instance: dg.DagsterInstance) -> Callable[[set[str]], set[str]]:
    mine = process_tags()

    def narrow(run_ids: set[str]) -> set[str]:
        records = instance.get_run_records(RunsFilter(run_ids=sorted(run_ids)))
        return {
            record.dagster_run.run_id
            for record in records
            if all(record.dagster_run.tags.get(tag) == value for tag, value in mine.items())
        }

    return narrow


@contextmanager
def announce_pool_waits(instance: dg.DagsterInstance, every_seconds: float = 2.0) -> Iterator[None]:
    """While this process runs a run, say once per holder when the run waits for the warehouse,
    on the terminal and at INFO in the run's own log."""
    stop = threading.Event()
    said: set[str] = set()
    narrow = runs_of_this_process(instance)

    def watch() -> None:
        while not stop.wait(every_seconds):
            for run_id, message in pool_waits(instance, narrow):
                if message not in said:
                    said.add(message)
                    print(message, flush=True)
                    announce(instance, run_id, message)

    watcher = threading.Thread(target=watch, name="pool-wait-announcer", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        stop.set()
        watcher.join()


def announce(instance: dg.DagsterInstance, run_id: str, message: str) -> None:
    run = instance.get_run_by_id(run_id)
    if run is not None:
        instance.report_engine_event(message, run)


def build_run_health_sensor() -> dg.SensorDefinition:
    @dg.sensor(
        name="run_health_sensor",
        description="Marks runs whose process is gone (killed, crashed) as failed and frees "
        "their hold on the warehouse, and tells each run queued behind another who holds the "
        "warehouse and since when. Reads only the Dagster instance.",
        minimum_interval_seconds=60,
        default_status=dg.DefaultSensorStatus.RUNNING,
    )
    def run_health_sensor(context: dg.SensorEvaluationContext) -> dg.SkipReason:
        failed = fail_dead_runs(context.instance, by="run_health_sensor")
        seen: dict[str, str] = {}
        if context.cursor:
            seen = dict(line.split("\t", 1) for line in context.cursor.splitlines())
        waits = pool_waits(context.instance)
        for run_id, message in waits:
            if seen.get(run_id) != message:
                announce(context.instance, run_id, message)
        context.update_cursor("\n".join(f"{run_id}\t{message}" for run_id, message in waits))
        for run_id in failed:
            context.log.warning(f"Run {run_id}: its process is gone; marked failed.")
        return dg.SkipReason(
            f"{len(failed)} dead runs marked failed; {len(waits)} runs waiting for the warehouse."
        )

    return run_health_sensor
