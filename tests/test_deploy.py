"""The production shape, for real: `nexus deploy` starts a code server, the daemon and a webserver
on an instance kept in a throwaway PostgreSQL cluster (tests/postgres.py), and the daemon runs
what an operator would throw at it."""

from __future__ import annotations

import ipaddress
import json
import os
import signal
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

import dagster as dg
import pytest
from deployment import DAYS, NEXUS, YESTERDAY, deployment, nexus
from postgres import create_database, free_port, postgres_cluster

from nexus_pipelines.alerts import build_alert_resource
from nexus_pipelines.bench import UI_BACKFILL
from nexus_pipelines.deploy import STATE_FILE, _group_members
from nexus_pipelines.run_health import PID_TAG, POOL
from nexus_pipelines.sql_assets import load_declarations
from nexus_pipelines.warehouse import Warehouse

LOCK_ERROR = "Could not set lock"
PLANNED_SUBSETS = "DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS"
IN_FLIGHT = dg.RunsFilter(
    statuses=[dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED]
)


@pytest.fixture(scope="module")
def cluster() -> Iterator[dict[str, str]]:
    with postgres_cluster() as environment:
        yield environment


@contextmanager
def running_deployment(
    root: Path, cluster: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, str]]:
    """A running deployment with a database of its own over a small demo company whose whole
    history is already built (as a deployment takes over a warehouse); stopped at the end
    whatever the test did."""
    database = create_database(cluster, f"nexus_{root.name.replace('-', '_').lower()}")
    pg = cluster | {"NEXUS_PG_DB": database}
    env = deployment(root, **pg)
    for name, value in pg.items():  # the test process reads the same instance
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("DAGSTER_HOME", env["DAGSTER_HOME"])
    start = (YESTERDAY - timedelta(days=DAYS - 1)).isoformat()
    args = ["--users", "200", "--days", str(DAYS), "--start", start, "--seed", "9"]
    nexus(env, "generate", *args, "--out", env["NEXUS_LANDING_DIR"])
    nexus(env, "materialize", "--start", start)
    env["UI_PORT"], env["CODE_PORT"] = str(free_port()), str(free_port())
    try:
        nexus(env, "deploy", "start", "--ui-port", env["UI_PORT"], "--code-port", env["CODE_PORT"])
        yield env
    finally:
        nexus(env, "deploy", "stop")


def recorded_groups(env: dict[str, str]) -> list[int]:
    state = json.loads((Path(env["DAGSTER_HOME"]) / STATE_FILE).read_text())
    return [process["pid"] for process in state["processes"]]


def listening_addresses(port: int) -> set[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    """The addresses a TCP port listens on, from /proc/net/tcp{,6} (LISTEN is state 0A; the
    kernel writes each address as 32-bit words in host byte order, little-endian here)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.rsplit(":", 1)
            if state == "0A" and int(hex_port, 16) == port:
                words = [bytes.fromhex(address[i : i + 8])[::-1] for i in range(0, len(address), 8)]
                found.add(ipaddress.ip_address(b"".join(words)))
    return found


def only_loopback(port: int) -> bool:
    addresses = listening_addresses(port)
    return bool(addresses) and all(
        (getattr(a, "ipv4_mapped", None) or a).is_loopback for a in addresses
    )


def graphql(env: dict[str, str], query: str, variables: dict) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{env['UI_PORT']}/graphql",
        data=json.dumps({"query": query, "variables": variables}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as answer:
        body = json.loads(answer.read())
    assert "errors" not in body, body
    return body["data"]


def wait_until(condition, seconds: float, what: str, every: float = 1.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(every)
    raise AssertionError(f"timed out after {seconds} s waiting for {what}")


def answers_on_loopback_and_validates(env: dict[str, str]) -> None:
    """The three processes run, the UI answers, nothing listens beyond 127.0.0.1, and the code
    server serves definitions that validate."""
    with urllib.request.urlopen(f"http://127.0.0.1:{env['UI_PORT']}/server_info") as answer:
        assert answer.status == 200
    # nothing listens on another address than 127.0.0.1 (or its IPv6-mapped form)
    assert only_loopback(int(env["UI_PORT"])), listening_addresses(int(env["UI_PORT"]))
    assert only_loopback(int(env["CODE_PORT"])), listening_addresses(int(env["CODE_PORT"]))
    workspace = str(Path(env["DAGSTER_HOME"]) / "workspace.yaml")
    validated = subprocess.run(
        [str(Path(NEXUS).parent / "dagster"), "definitions", "validate", "-w", workspace],
        env=env, capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    assert validated.returncode == 0, validated.stdout + validated.stderr
    assert "running" in nexus(env, "deploy", "status")
    groups = recorded_groups(env)
    members = {pid for group in groups for pid in _group_members(group)}
    assert len(groups) == 3 and len(members) >= 3  # the code server's grpc child included


def stops_with_nothing_left(env: dict[str, str]) -> None:
    groups = recorded_groups(env)
    members = {pid for group in groups for pid in _group_members(group)}
    nexus(env, "deploy", "stop")
    assert not [pid for group in groups for pid in _group_members(group)]
    assert all(not Path(f"/proc/{pid}").exists() or _is_zombie(pid) for pid in members)
    nexus(env, "deploy", "status", expect=1)


def _is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] in "ZX"
    except FileNotFoundError:
        return True


LAUNCH = """
mutation($params: ExecutionParams!) {
  launchPipelineExecution(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message }
  }
}
"""


# What the 4 runs and the retried run materialise: the daily core of growth, as an analyst's
# "Materialize" of a few assets launches it (the whole days_by_month job is 24 steps a run).
DAILY_CORE = [
    ["growth", "user_activity_days"],
    ["growth", "daily_active_users"],
    ["growth", "active_users_rolling"],
    ["growth", "signups_by_channel_daily"],
]


def launch_run(env: dict[str, str], partition: str) -> str:
    selector = {
        "repositoryLocationName": "nexus_pipelines",
        "repositoryName": "__repository__",
        "jobName": "__ASSET_JOB",
        "assetSelection": [{"path": path} for path in DAILY_CORE],
    }
    params = {
        "selector": selector,
        "executionMetadata": {"tags": [{"key": "dagster/partition", "value": partition}]},
    }
    launched = graphql(env, LAUNCH, {"params": params})["launchPipelineExecution"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    return launched["run"]["runId"]


def month_of(day: date) -> str:
    """The key of the days_by_month partition holding a day: the first of its month (the
    reporting timezone cuts days, and a day's month is its own in any timezone)."""
    return day.replace(day=1).isoformat()


def process_environment(pid: int) -> dict[str, str]:
    """The environment a process was started with (Linux /proc)."""
    entries = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(entry.decode().split("=", 1) for entry in entries if b"=" in entry)


def steps_in_pool(instance: dg.DagsterInstance, run_ids: list[str]) -> list[tuple[float, float]]:
    """(start, end) of every step of these runs, from the event log: all of them open the
    warehouse, so all are in the `duckdb` pool."""
    spans = []
    for run_id in run_ids:
        for step in instance.get_run_step_stats(run_id):
            assert step.start_time and step.end_time, step
            spans.append((step.start_time, step.end_time))
    return sorted(spans)


def test_a_deployment_from_start_to_stop_under_load_and_faults(
    cluster: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """One deployment, from `nexus deploy start` to `stop`, takes in order what an operator
    throws at it: runs launched at once beside a backfill, the daemon restarted mid-backfill, a
    run worker killed. Each phase checks what the instance and the warehouse recorded;
    every re-write of a day must leave what the first build wrote. (The history is built
    first: a rolling metric computed while its look-back days are missing would differ,
    whatever the deployment does.)"""
    with running_deployment(tmp_path, cluster, monkeypatch) as env:
        answers_on_loopback_and_validates(env)
        instance = dg.DagsterInstance.get()
        # the landing sensor's cursor starts afresh on this instance: let what it launches end
        wait_until(lambda: not instance.get_runs(IN_FLIGHT), 600, "the deployment to settle")
        recent = [(YESTERDAY - timedelta(days=back)).isoformat() for back in range(1, 7)]
        reference = {day: partition_content(env, day) for day in recent}
        started = time.monotonic()
        concurrent_runs_and_a_backfill_across_a_daemon_restart(env, instance, reference)
        print(f"concurrent runs, a month backfill, a restart: {time.monotonic() - started:.0f} s")
        started = time.monotonic()
        a_killed_run_worker(env, instance, reference)
        print(f"a killed run worker, failed, freed and retried: {time.monotonic() - started:.0f} s")
        stops_with_nothing_left(env)


def concurrent_runs_and_a_backfill_across_a_daemon_restart(
    env: dict[str, str],
    instance: dg.DagsterInstance,
    reference: dict[str, dict[str, tuple[int, int]]],
) -> None:
    """4 runs launched at once, two on the month holding yesterday and two on the month before
    (runs of one partition at once are the contention a deployment must survive), and a backfill
    of every days_by_month asset over the months holding the days 34 to 5 days before yesterday
    (2 partitions, 3 when February falls inside), with the sensors ticking, and the daemon
    restarted as soon as the first run succeeds (the backfill then waiting or running): all
    succeed, the backfill completes in one run that planned each asset once (the webserver and
    daemon emit one planned event per asset, not one per partition) and materialised each month
    of each asset once, no lock error, no two steps in the pool at once, and the days hold what
    they held."""
    state = json.loads((Path(env["DAGSTER_HOME"]) / STATE_FILE).read_text())
    pids = {process["role"]: process["pid"] for process in state["processes"]}
    webserver, daemon = (process_environment(pids[role]) for role in ("webserver", "daemon"))
    # the processes that create runs plan a partition range as one event per asset
    assert webserver.get(PLANNED_SUBSETS) == daemon.get(PLANNED_SUBSETS) == "true"
    running_month = month_of(YESTERDAY)
    month_before = month_of(YESTERDAY.replace(day=1) - timedelta(days=1))
    run_ids = [launch_run(env, month) for month in (running_month, month_before) * 2]
    daily = [
        key
        for key in _days_by_month_asset_keys()
        if key.path[0] != "raw"  # raw tables are loaded by ingest, not per partition
    ]
    # up to the running month, as the dialog offers: the scorecard's monthly sources have no
    # partition for it, which the backfill must accept
    first = YESTERDAY - timedelta(days=34)
    days = [first + timedelta(days=n) for n in range((YESTERDAY - first).days + 1)]
    partitions = sorted({month_of(day) for day in days})
    assert partitions[-1] == running_month
    params = {
        "assetSelection": [{"path": key.path} for key in daily],
        "partitionNames": partitions,
        "fromFailure": False,
    }
    backfill = graphql(env, UI_BACKFILL, {"params": params})["launchPartitionBackfill"]
    assert backfill["__typename"] == "LaunchBackfillSuccess", backfill
    # 13 tables, the scorecard and the daily cadence's 4 other reports (the snapshot, the
    # support and health reports, the daily review)
    assert len(partitions) in (2, 3) and len(daily) == 18

    wait_until(lambda: any(finished(instance, run_id) for run_id in run_ids), 300, "the first run")
    backfill_at_restart = instance.get_backfill(backfill["backfillId"]).status.value
    nexus(env, "deploy", "restart", "--role", "daemon")

    def everything_finished() -> list[dg.DagsterRun] | None:
        runs = instance.get_runs()
        backfill_runs = [
            r for r in runs if r.tags.get("dagster/backfill") == backfill["backfillId"]
        ]
        mine = [r for r in runs if r.run_id in run_ids] + backfill_runs
        done = backfill_runs and all(r.is_finished for r in mine)
        return mine if done and instance.get_backfill(backfill["backfillId"]).status.value in (
            "COMPLETED", "COMPLETED_SUCCESS", "COMPLETED_FAILED", "FAILED"
        ) else None  # fmt: skip

    runs = wait_until(everything_finished, 600, "the 4 runs and the backfill")
    assert [r.status for r in runs] == [dg.DagsterRunStatus.SUCCESS] * len(runs)
    assert len(runs) == 5  # the 4 runs and the backfill's one run: nothing launched twice
    (backfill_run,) = [r for r in runs if r.run_id not in run_ids]
    assert (
        backfill_run.tags["dagster/asset_partition_range_start"],
        backfill_run.tags["dagster/asset_partition_range_end"],
    ) == (partitions[0], partitions[-1])
    planned, materialised = (
        [
            record.event_log_entry.dagster_event
            for record in instance.get_records_for_run(backfill_run.run_id, of_type=kind).records
        ]
        for kind in (
            dg.DagsterEventType.ASSET_MATERIALIZATION_PLANNED,
            dg.DagsterEventType.ASSET_MATERIALIZATION,
        )
    )
    # one planned event per asset, carrying the range (not one per partition per asset)
    assert sorted(event.asset_key for event in planned) == sorted(daily)
    assert all(event.partition is None for event in planned)
    assert all(
        sorted(event.partitions_subset.get_partition_keys()) == partitions for event in planned
    )
    # one materialisation per asset per month
    assert sorted((event.asset_key, event.partition) for event in materialised) == sorted(
        (key, month) for key in daily for month in partitions
    )
    lock_errors = [
        entry
        for run in runs
        for entry in instance.all_logs(run.run_id)
        if LOCK_ERROR in (entry.message or "")
    ]
    assert lock_errors == []
    spans = steps_in_pool(instance, [run.run_id for run in runs])
    overlaps, busy_until = 0, 0.0
    for start, end in spans:  # sorted by start: each must begin after every earlier one ended
        overlaps += start < busy_until
        busy_until = max(busy_until, end)
    assert overlaps == 0, f"{overlaps} steps overlapped in the {POOL} pool"
    health = next(s for s in instance.all_instigator_state() if s.name == "run_health_sensor")
    ticks = instance.get_ticks(health.instigator_origin_id, health.selector_id)
    assert ticks, "the daemon's sensors ticked"
    busy = sum(end - start for start, end in spans)
    print(
        f"{len(runs)} runs, {len(spans)} steps in the {POOL} pool ({busy:.0f} s busy over "
        f"{spans[-1][1] - spans[0][0]:.0f} s), {overlaps} overlapping, {len(lock_errors)} lock "
        f"errors, {len(ticks)} run-health ticks; the backfill was {backfill_at_restart} when "
        f"the daemon restarted, and its run over {len(partitions)} months recorded "
        f"{len(planned)} planned events and {len(materialised)} materialisations"
    )
    assert {day: partition_content(env, day) for day in reference} == reference


def _days_by_month_asset_keys() -> list[dg.AssetKey]:
    from nexus_pipelines.definitions import defs
    from nexus_pipelines.partitions import partitioning_name

    graph = defs.resolve_asset_graph()
    return [
        key
        for key in graph.get_all_asset_keys()
        if graph.get(key).is_materializable
        and partitioning_name(graph.get(key).partitions_def) == "days_by_month"
    ]


def finished(instance: dg.DagsterInstance, run_id: str) -> dg.DagsterRun | None:
    run = instance.get_run_by_id(run_id)
    return run if run is not None and run.is_finished else None


def partition_content(env: dict[str, str], day: str) -> dict[str, tuple[int, int]]:
    """What a day holds in each days_by_month SQL table (the rows whose partition column falls
    on it): its rows and a hash of them all (order-independent), so a day written twice with
    other content shows."""
    tables = [
        declaration
        for declaration in load_declarations()
        if declaration.partitions == "days_by_month" and declaration.partition_column
    ]
    # the product's own reader: it waits for a writer's lock as any reader would
    with Warehouse(database=env["NEXUS_DUCKDB_PATH"]).get_connection(read_only=True) as connection:
        return {
            table.qualified_name: connection.execute(
                f"select count(*), coalesce(bit_xor(hash(t)), 0) from {table.qualified_name} t "
                f"where {table.partition_column}::date = $day",
                {"day": day},
            ).fetchone()
            for table in tables
        }


def a_killed_run_worker(
    env: dict[str, str],
    instance: dg.DagsterInstance,
    reference: dict[str, dict[str, tuple[int, int]]],
) -> None:
    """A run worker killed with SIGKILL mid-step: the run is failed and its slot freed in time,
    the run queued behind it completes, and the automatic retry writes what the first build
    wrote: the run of the month holding the day before yesterday is killed, the one holding the
    day before it queued (one month, unless the day before yesterday is a 1st)."""
    killed_day, queued_day = [(YESTERDAY - timedelta(days=n)).isoformat() for n in (1, 2)]
    victim = launch_run(env, month_of(date.fromisoformat(killed_day)))
    queued = launch_run(env, month_of(date.fromisoformat(queued_day)))

    def executing() -> dg.DagsterRun | None:
        run = instance.get_run_by_id(victim)
        stepping = run and any(step.start_time for step in instance.get_run_step_stats(victim))
        alive = run and run.status == dg.DagsterRunStatus.STARTED
        return run if alive and stepping and PID_TAG in run.tags else None

    # polled often: the run is four short steps
    pid = int(wait_until(executing, 300, "the run's first step", every=0.1).tags[PID_TAG])
    os.kill(pid, signal.SIGKILL)
    killed_at = time.monotonic()
    failed = wait_until(lambda: finished(instance, victim), 180, "the killed run to be failed")
    seconds_to_fail = time.monotonic() - killed_at
    assert failed.status == dg.DagsterRunStatus.FAILURE
    wait_until(
        lambda: victim not in instance.event_log_storage.get_concurrency_run_ids() or None,
        120,
        "the killed run's slot",
    )
    seconds_to_free = time.monotonic() - killed_at
    assert wait_until(lambda: finished(instance, queued), 600, "the queued run").status == (
        dg.DagsterRunStatus.SUCCESS
    )
    retried = wait_until(
        lambda: next(
            (r for r in instance.get_runs() if r.parent_run_id == victim and r.is_finished), None
        ),
        600,
        "the retry of the killed run",
    )
    assert retried.status == dg.DagsterRunStatus.SUCCESS
    assert seconds_to_fail < 150
    print(
        f"killed run failed {seconds_to_fail:.0f} s after SIGKILL, slot free after "
        f"{seconds_to_free:.0f} s; queued run and retry succeeded"
    )
    for day in reference:  # the killed and queued days among them
        assert partition_content(env, day) == reference[day], day
    assert sum(rows for rows, _ in reference[killed_day].values()) > 0


def test_alerts_raised_by_two_processes_are_one_record_in_the_instances_postgres(
    cluster: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Every daemon and webserver of a deployment sees one alert record: two resources (as two
    processes would build them from the same environment) page a condition once."""
    database = create_database(cluster, "nexus_alerts_test")
    for name, value in (cluster | {"NEXUS_PG_DB": database}).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("NEXUS_ALERTS_PATH", str(tmp_path / "alerts.sqlite"))
    with (
        dg.build_resources({"alerts": build_alert_resource()}) as one,
        dg.build_resources({"alerts": build_alert_resource()}) as other,
    ):
        first, second = one.alerts, other.alerts
        assert first.raise_alert("burn-rate:web_app", "P1", "burn_rate_sensor", "burn") is True
        assert second.raise_alert("burn-rate:web_app", "P1", "burn_rate_sensor", "burn") is False
        (alert,) = second.alerts()
    assert (alert.dedupe_key, alert.occurrences) == ("burn-rate:web_app", 2)
    assert not (tmp_path / "alerts.sqlite").exists()  # nothing went to the SQLite file
