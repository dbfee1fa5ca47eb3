"""A killed run must not block every run after it, and a run waiting for the warehouse says why:
real `nexus materialize` processes against a real SQLite instance with the project's pool."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import time
import uuid
from datetime import timedelta
from pathlib import Path

import dagster as dg
import pytest
from deployment import DAYS, NEXUS, YESTERDAY, deployment, instance_of, nexus, query

from nexus_pipelines.run_health import (
    PID_TAG,
    POOL,
    fail_dead_runs,
    inherited_process,
    process_is_gone,
    process_tags,
    record_run_process,
)

LAST_DAYS = ["--skip-ingest", "--start", (YESTERDAY - timedelta(days=1)).isoformat()]


@pytest.fixture
def loaded(tmp_path: Path) -> dict[str, str]:
    env = deployment(tmp_path)
    start = (YESTERDAY - timedelta(days=DAYS - 1)).isoformat()
    args = ["--users", "200", "--days", str(DAYS), "--start", start, "--seed", "9"]
    nexus(env, "generate", *args, "--out", env["NEXUS_LANDING_DIR"])
    nexus(env, "ingest", env["NEXUS_LANDING_DIR"])
    return env


def wait_for(condition, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def read_until(process: subprocess.Popen, prefix: str, seconds: float) -> list[str]:
    """The process's lines up to the first that starts with prefix; fails after seconds."""
    lines: list[str] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        ready, _, _ = select.select([process.stdout], [], [], 1.0)
        if ready:
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line)
            if line.startswith(prefix):
                return lines
    process.kill()
    raise AssertionError(f"no line starting {prefix!r} in: {''.join(lines)}")


def holders(env: dict[str, str]) -> set[str]:
    with instance_of(env) as instance:
        return {
            slot.run_id
            for slot in instance.event_log_storage.get_concurrency_info(POOL).claimed_slots
        }


def test_a_killed_run_is_failed_and_its_slot_freed_so_the_next_run_completes(
    loaded: dict[str, str],
) -> None:
    for _ in range(5):
        victim = subprocess.Popen(  # the whole range: steps long enough to be killed inside one
            [NEXUS, "materialize", "--skip-ingest"],
            env=loaded,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        (killed_run,) = wait_for(lambda: holders(loaded), 120, "the run to hold the warehouse")
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait()
        if holders(loaded) == {killed_run}:
            break
        # the kill landed between two steps (a few ms), so no slot is held: the next
        # `nexus materialize` fails that dead run first, and the kill is tried again
    else:
        raise AssertionError("five kills in a row landed between steps")
    with instance_of(loaded) as instance:
        # what kill -9 leaves: the run STARTED for ever, holding the pool's only slot
        assert instance.get_run_by_id(killed_run).status == dg.DagsterRunStatus.STARTED

    output = nexus(loaded, "materialize", *LAST_DAYS)
    assert f"Run {killed_run}: its process is gone (killed or crashed); marked failed." in output
    assert "Done: " in output
    with instance_of(loaded) as instance:
        assert instance.get_run_by_id(killed_run).status == dg.DagsterRunStatus.FAILURE
    assert holders(loaded) == set()
    recent = query(
        loaded,
        "select count(*) from growth.daily_active_users "
        f"where activity_date >= '{LAST_DAYS[-1]}' and active_users > 0",
    )
    assert recent[0][0] == 2


def test_a_run_waiting_for_the_warehouse_says_who_holds_it(loaded: dict[str, str]) -> None:
    """A live holder (this test's own process) keeps the slot; the CLI's run waits, says so on
    the terminal and in its run's log, then completes once the slot is released."""
    holder = str(uuid.uuid4())
    with instance_of(loaded) as instance:
        instance.add_run(
            dg.DagsterRun(
                job_name="holder",
                run_id=holder,
                status=dg.DagsterRunStatus.STARTED,
                tags=process_tags(),
            )
        )
        # as Dagster's executor does: the pool's slots from the instance's default limit first
        instance.event_log_storage.initialize_concurrency_limit_to_default(POOL)
        wait_for(
            lambda: (
                instance.event_log_storage.claim_concurrency_slot(
                    POOL, holder, "holding_step"
                ).is_claimed
            ),
            30,
            "the holder to claim the slot",
        )
    waiting = subprocess.Popen(
        [NEXUS, "materialize", *LAST_DAYS],
        env=loaded,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    lines = read_until(waiting, "Waiting for the warehouse", seconds=180)
    expected = f"Waiting for the warehouse: run {holder} (holder, STARTED) holds it since "
    assert lines[-1].startswith(expected), lines
    with instance_of(loaded) as instance:
        instance.event_log_storage.free_concurrency_slots_for_run(holder)
    rest, _ = waiting.communicate(timeout=600)
    assert waiting.returncode == 0, "".join(lines) + rest
    with instance_of(loaded) as instance:
        runs = [run for run in instance.get_runs() if run.run_id != holder]
        assert runs and all(run.status == dg.DagsterRunStatus.SUCCESS for run in runs)
        logged = [
            record.event_log_entry.message
            for run in runs
            for record in instance.get_records_for_run(
                run.run_id, of_type=dg.DagsterEventType.ENGINE_EVENT
            ).records
        ]
    # the run that waited says so in its own log, which the UI shows
    assert any(message.startswith(expected) for message in logged)


def test_only_a_process_that_is_certainly_gone_counts_as_dead() -> None:
    alive = process_tags()
    assert not process_is_gone(alive)
    child = subprocess.Popen(["sleep", "0"])
    child.wait()
    assert process_is_gone(alive | {"nexus/pid": str(child.pid)})
    # another host's run, or a pid that now names another process, is judged by what is known
    assert not process_is_gone(alive | {"nexus/host": "elsewhere", "nexus/pid": str(child.pid)})
    assert process_is_gone(alive | {"nexus/process_started": "1"})
    with dg.instance_for_test() as instance:
        instance.add_run(
            dg.DagsterRun(
                job_name="j", run_id="live", status=dg.DagsterRunStatus.STARTED, tags=alive
            )
        )
        assert fail_dead_runs(instance, by="test") == []
        assert instance.get_run_by_id("live").status == dg.DagsterRunStatus.STARTED


def test_a_retry_still_naming_its_killed_parents_process_is_not_taken_for_dead() -> None:
    """Dagster's automatic retry of a killed run copies the parent's tags, so until the retry
    records its own process its tags name the killed one. Seen in the deployment test: the
    sensor failed a retry that was running fine. It must be left alone, and recording its own
    process must replace the copied tags; a run whose own process is gone is still failed."""
    gone = subprocess.Popen(["sleep", "0"])
    gone.wait()
    dead = process_tags() | {PID_TAG: str(gone.pid)}
    started = dg.DagsterRunStatus.STARTED
    with dg.instance_for_test() as instance:
        instance.add_run(
            dg.DagsterRun(
                job_name="j", run_id="killed", status=dg.DagsterRunStatus.FAILURE, tags=dead
            )
        )
        instance.add_run(
            dg.DagsterRun(
                job_name="j",
                run_id="retry",
                parent_run_id="killed",
                root_run_id="killed",
                status=started,
                tags=dead,
            )
        )
        instance.add_run(dg.DagsterRun(job_name="j", run_id="dead", status=started, tags=dead))
        assert fail_dead_runs(instance, by="test") == ["dead"]
        retry = instance.get_run_by_id("retry")
        assert retry.status == started and inherited_process(instance, retry)
        record_run_process(instance, retry)
        retry = instance.get_run_by_id("retry")
        assert retry.tags[PID_TAG] == str(os.getpid()) and not inherited_process(instance, retry)
        assert fail_dead_runs(instance, by="test") == []
