"""`make bench`: generation, ingestion and materialisation speed and memory, beside the floor
(the same queries run directly in DuckDB) and a peer (the same queries as a dbt project), written
to docs/benchmarks.md. Each stage runs in its own process so its peak RSS is its own."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb

from nexus_pipelines.settings import PROJECT_DIR

RESULTS_PATH = PROJECT_DIR / "docs" / "benchmarks.md"
DAYS = 730
SEED = 7


def _peak_rss_mb() -> float:
    """The stage's largest process: itself, or a child it waited for (dbt, for the peer)."""
    peaks = (
        resource.getrusage(who).ru_maxrss
        for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    )
    return max(peaks) / 1024  # Linux reports KiB


def _stage(args: argparse.Namespace) -> dict:
    """Run one stage in this process and return its figures. Its seconds end with the stage's
    work: the benchmark's own reading of what it wrote (rows, events) is not timed."""
    begun = time.perf_counter()
    worked: float | None = None
    start = datetime.now(UTC).date() - timedelta(days=DAYS)
    domains: dict[str, float] = {}
    extra: dict[str, float] = {}
    if args.stage == "generate":
        from nexus_pipelines.generator import generate_company

        rows = sum(generate_company(args.landing, args.users, DAYS, start, SEED).values())
    elif args.stage == "ingest":
        from nexus_pipelines.runner import ingest_landing

        report = ingest_landing(args.landing)
        rows = sum(result.rows_in for result in report.files)
        if any(result.status != "loaded" or result.quarantined for result in report.files):
            raise SystemExit("benchmark data did not load cleanly: " + report.summary())
    elif args.stage == "materialize":
        import dagster as dg

        from nexus_pipelines.runner import materialize_everything

        with dg.DagsterInstance.get() as instance:  # the project's instance, as `make demo`'s
            summary = materialize_everything(start=start, ingest=False, instance=instance)
            worked = time.perf_counter()  # what follows is the benchmark's own reading
            if not summary.ok:
                raise SystemExit(f"materialisation failed: {summary.line()}")
            domains = _seconds_by_domain(instance, summary.run_ids)
            extra["events"] = sum(len(instance.all_logs(run_id)) for run_id in summary.run_ids)
        rows = _derived_rows()
    elif args.stage == "ui-backfill":
        extra |= ui_backfill_seconds()
        worked = time.perf_counter()
        rows = _derived_rows()
    elif args.stage == "floor":
        domains = run_floor(start)
        worked = time.perf_counter()
        rows = _derived_rows()
    elif args.stage == "peer":
        from nexus_pipelines.dbt_peer import run_dbt_peer, table_rows
        from nexus_pipelines.partitions import PARTITIONS_TIMEZONE

        warehouse = Path(os.environ["NEXUS_DUCKDB_PATH"])
        window_start, window_end = _floor_window(start)
        figures = run_dbt_peer(
            window_start,
            window_end,
            PARTITIONS_TIMEZONE,
            warehouse,
            warehouse.parent / "dbt-peer",
            expected_rows=table_rows(warehouse),  # the floor's tables, written just before
        )
        domains, extra["peer_dbt_seconds"] = figures["domains"], figures["seconds"]
        worked = time.perf_counter()
        rows = _derived_rows()
    else:  # what the daily schedule runs each morning: yesterday's partition and its reports
        import dagster as dg

        from nexus_pipelines.definitions import defs
        from nexus_pipelines.partitions import DAYS_BY_MONTH, last_complete_day, partition_holding

        with dg.DagsterInstance.get() as instance:
            result = defs.resolve_job_def("daily_cadence_job").execute_in_process(
                instance=instance,
                partition_key=partition_holding(DAYS_BY_MONTH, last_complete_day()),
            )
            worked = time.perf_counter()
            assert result.success
            domains = _seconds_by_domain(instance, [result.run_id])
        rows = _derived_rows()
    seconds = (worked or time.perf_counter()) - begun
    return {"rows": rows, "seconds": seconds, "peak_rss_mb": _peak_rss_mb(), **extra} | (
        {"domains": domains} if args.stage in ("materialize", "daily", "floor", "peer") else {}
    )


def _floor_window(start: date) -> tuple[datetime, datetime]:
    """The days the product's full run writes: its partitions from the month holding `start`,
    cut by the same rule (no day before the founding date, none after yesterday)."""
    from nexus_pipelines.partitions import days_written, local_midnight

    return days_written(
        dg.TimeWindow(local_midnight(start.replace(day=1)), local_midnight(date.max))
    )


def run_floor(start: date) -> dict[str, float]:
    """What the product is measured against: every SQL asset's query once, over the whole range
    from `start` to yesterday, straight into its table with `create or replace table`, in
    dependency order; then the scorecard's metric queries (sql/reporting/scorecard/), once over
    the same days, as the scorecard asset runs them; then the reports' section queries, for the
    periods the product renders. No Dagster, no write path. Returns the query seconds per domain
    (the scorecard's under reporting, a report's under its domain)."""
    from nexus_pipelines.definitions import defs
    from nexus_pipelines.partitions import PARTITIONS_TIMEZONE, last_complete_day
    from nexus_pipelines.scorecard import compute_days
    from nexus_pipelines.sql_assets import load_declarations, prepared_query
    from nexus_pipelines.warehouse import Warehouse

    by_key = {declaration.asset_key: declaration for declaration in load_declarations()}
    ordered = [
        by_key[key] for key in defs.resolve_asset_graph().toposorted_asset_keys if key in by_key
    ]
    window_start, window_end = _floor_window(start)
    window = {"window_start": window_start, "window_end": window_end}
    timezone = PARTITIONS_TIMEZONE
    seconds: dict[str, float] = {}
    with Warehouse().get_connection() as connection:
        for declaration in ordered:
            offered = window if declaration.partition_column else {}
            sql, parameters = prepared_query(connection, declaration, offered, timezone)
            begun = time.perf_counter()
            connection.execute(
                f"create or replace table {declaration.qualified_name} as {sql}", parameters
            )
            domain = declaration.asset_key.path[0]
            seconds[domain] = seconds.get(domain, 0.0) + time.perf_counter() - begun
        begun = time.perf_counter()
        compute_days(connection, window_start.date(), last_complete_day())
        seconds["reporting"] = time.perf_counter() - begun
        for domain, spent in _report_queries(connection, window_start.date()).items():
            seconds[domain] = seconds.get(domain, 0.0) + spent
    return dict(sorted(seconds.items()))


def _report_queries(connection: duckdb.DuckDBPyConnection, first_day: date) -> dict[str, float]:
    """Every report section's query once, for the period `nexus materialize` renders (each
    report's newest complete one), its results fetched; no markdown, no pictures. Seconds per
    domain."""
    from nexus_pipelines.partitions import last_complete_day, partitioning_name
    from nexus_pipelines.reports import load_reports
    from nexus_pipelines.runner import partition_range_tags
    from nexus_pipelines.warehouse import default_as_of

    data_as_of = default_as_of(connection)
    seconds: dict[str, float] = {}
    for report in load_reports():
        name = partitioning_name(report.partitions_def)
        tags = partition_range_tags(name, first_day, last_complete_day(), newest_period=True)
        if not tags:
            continue
        as_of = report.period_as_of(tags["dagster/asset_partition_range_end"], data_as_of)
        report.prepare(connection)
        begun = time.perf_counter()
        for section in report.sections:
            if section.written(connection):
                connection.execute(section.sql, report.parameters(section, as_of)).fetchall()
        domain = report.domain.name
        seconds[domain] = seconds.get(domain, 0.0) + time.perf_counter() - begun
    return seconds


UI_BACKFILL = """
mutation($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on PythonError { message }
  }
}"""
LOCATION_LOADED = "{ workspaceOrError { ... on Workspace { locationEntries { loadStatus } } } }"


def _graphql(port: int, query: str, variables: dict | None = None) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query, "variables": variables or {}}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=600) as answer:
        return json.loads(answer.read())["data"]


def _wait(what: str, ready: Callable[[], Any], seconds: float) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            found = ready()
            if found:
                return found
        time.sleep(0.2)
    raise SystemExit(f"ui-backfill: {what} within {seconds:.0f} s")


def ui_backfill_seconds() -> dict[str, float]:
    """The whole history from the UI: `nexus ui` (webserver and daemon) on this instance, then a
    backfill of every days_by_month asset over all its partitions, sent as the launch dialog's
    default option sends it. Seconds from sending until the backfill exists, its run starts and
    its run ends (the run must succeed)."""
    from nexus_pipelines.definitions import defs
    from nexus_pipelines.partitions import DAYS_BY_MONTH

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    ui = subprocess.Popen(
        [sys.executable, "-m", "nexus_pipelines.cli", "ui", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        _wait(
            "the code location loaded in the webserver",
            lambda: all(
                entry["loadStatus"] == "LOADED"
                for entry in _graphql(port, LOCATION_LOADED)["workspaceOrError"]["locationEntries"]
            ),
            180,
        )
        keys = [k for a in defs.assets if a.partitions_def == DAYS_BY_MONTH for k in a.keys]
        with dg.DagsterInstance.get() as instance:
            partitions = DAYS_BY_MONTH.get_partition_keys(dynamic_partitions_store=instance)
            params = {
                "assetSelection": [{"path": key.path} for key in keys],
                "partitionNames": partitions,
                "fromFailure": False,
            }
            sent = time.monotonic()
            launched = _graphql(port, UI_BACKFILL, {"params": params})["launchPartitionBackfill"]
            if launched["__typename"] != "LaunchBackfillSuccess":
                raise SystemExit(f"ui-backfill: refused: {launched}")
            created = time.monotonic() - sent
            backfill = dg.RunsFilter(tags={"dagster/backfill": launched["backfillId"]})
            running = {dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.SUCCESS}
            _wait(
                "its run started",
                lambda: any(run.status in running for run in instance.get_runs(backfill)),
                300,
            )
            started = time.monotonic() - sent
            runs = _wait(
                "its run finished",
                lambda: [r for r in instance.get_runs(backfill) if r.is_finished],
                1800,
            )
            finished = time.monotonic() - sent
            if [run.status for run in runs] != [dg.DagsterRunStatus.SUCCESS]:
                raise SystemExit(f"ui-backfill: its runs ended {[r.status for r in runs]}")
    finally:
        os.killpg(ui.pid, signal.SIGTERM)
        ui.wait(timeout=60)
    return {
        "backfill_assets": len(keys),
        "backfill_partitions": len(partitions),
        "backfill_created_s": created,
        "backfill_run_started_s": started,
        "backfill_finished_s": finished,
    }


def _seconds_by_domain(instance: dg.DagsterInstance, run_ids: list[str]) -> dict[str, float]:
    """Step time per domain (the asset key's first part), from Dagster's own step records."""
    totals: dict[str, float] = {}
    for run_id in run_ids:
        for step in instance.get_run_step_stats(run_id):
            domain = step.step_key.split("__")[0]
            duration = (step.end_time or 0) - (step.start_time or 0)
            totals[domain] = totals.get(domain, 0.0) + duration
    return dict(sorted(totals.items()))


def _derived_rows() -> int:
    """Rows in every derived table: the size of what materialisation maintains."""
    with duckdb.connect(os.environ["NEXUS_DUCKDB_PATH"], read_only=True) as connection:
        tables = connection.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema not in ('raw', 'ingest', 'main')"
        ).fetchall()
        return sum(
            connection.execute(f'select count(*) from "{schema}"."{table}"').fetchone()[0]
            for schema, table in tables
        )


def _run_stage(stage: str, users: int, workdir: Path) -> dict:
    env = os.environ | {
        "NEXUS_DUCKDB_PATH": str(workdir / "warehouse.duckdb"),
        "NEXUS_LANDING_DIR": str(workdir / "landing"),
        "NEXUS_EXECUTOR": "in_process",
    }
    # a fresh instance of the project's own configuration (dagster-instance.yaml), as make sets up
    home = Path(tempfile.mkdtemp(prefix=f"{stage}-", dir=workdir))
    shutil.copy(PROJECT_DIR / "dagster-instance.yaml", home / "dagster.yaml")
    env["DAGSTER_HOME"] = str(home)
    command = [sys.executable, "-m", "nexus_pipelines.bench", "--stage", stage]
    command += ["--users", str(users), "--landing", str(workdir / "landing")]
    completed = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise SystemExit(f"stage {stage} failed:\n{completed.stdout}\n{completed.stderr}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def _machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory_kib = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    return (
        f"{os.cpu_count()} cores ({cpu}), {memory_kib / 1024 / 1024:.0f} GiB RAM, "
        f"Python {platform.python_version()}, DuckDB {duckdb.__version__}"
    )


def _row(scale: str, stage: str, figures: dict) -> str:
    """rows/s only where rows are the work done (generation, ingestion)."""
    rate = "-"
    if stage in ("generate", "ingest") and figures["seconds"]:
        rate = f"{figures['rows'] / figures['seconds']:,.0f}"
    return (
        f"| {scale} | {stage} | {figures['rows']:,} | {figures['seconds']:.1f} | "
        f"{rate} | {figures['peak_rss_mb']:,.0f} |"
    )


# The goal the product is held to: a full rebuild within this many times the floor's query
# seconds, plus this much for the process's start-up (imports, the code location, the instance).
FLOOR_MULTIPLE, START_UP_ALLOWANCE = 3, 15.0


def _bench_scale(users: int, lines: list[str], by_domain: list[str]) -> str:
    """Every stage at one scale on a fresh landing folder and warehouse; appends each stage's
    row and each run's domain row, and returns the side-by-side row."""
    from nexus_pipelines.generator import DEMO_USERS

    scale = f"{users:,} users x {DAYS} days"
    with tempfile.TemporaryDirectory(prefix="nexus-bench-") as folder:
        workdir = Path(folder)

        def stage(name: str, label: str) -> dict:
            figures = _run_stage(name, users, workdir)
            lines.append(_row(scale, label, figures))
            print(lines[-1], flush=True)
            return figures

        stage("generate", "generate")
        stage("ingest", "ingest")
        shutil.rmtree(workdir / "landing", ignore_errors=True)
        product = stage("materialize", "materialise derived assets (in_process)")
        by_domain.append(_domain_row(scale, "all derived assets, in-process", product))
        ui = {}
        if users == DEMO_USERS:  # the whole history through the UI, at the demo's scale
            ui = stage("ui-backfill", "UI backfill: every days_by_month asset, all months")
        daily = stage("daily", "materialise one day (daily cadence job)")
        by_domain.append(_domain_row(scale, "one day (daily cadence job)", daily))
        # last: the floor and then the peer replace the product's tables with their own
        floor = stage("floor", "floor: every SQL query once, directly in DuckDB")
        by_domain.append(_domain_row(scale, "floor (query seconds)", floor))
        peer = stage("peer", "peer: the same queries as dbt table models")
        by_domain.append(_domain_row(scale, "peer (dbt model seconds)", peer))
    floor_seconds = sum(floor["domains"].values())
    limit = FLOOR_MULTIPLE * floor_seconds + START_UP_ALLOWANCE
    return (
        f"| {scale} | {floor_seconds:.1f} | {product['seconds']:.1f} | "
        f"{product['seconds'] / floor_seconds:.1f}x | "
        f"{'yes' if product['seconds'] <= limit else 'no'} ({limit:.1f} s) | "
        f"{product['events']:,} | {peer['peer_dbt_seconds']:.1f} | "
        f"{sum(peer['domains'].values()):.1f} | {daily['seconds']:.1f} | "
        + (f"{ui['backfill_run_started_s']:.1f} |" if ui else "- |")
    )


def run(scales: list[int]) -> str:
    lines = [
        "| scale | stage | rows | seconds | rows/s | peak RSS (MB) |",
        "|---|---|---|---|---|---|",
    ]
    by_domain = [
        "| scale | run | " + " | ".join(DOMAINS) + " |",
        "|---|---|" + "---|" * len(DOMAINS),
    ]
    side_by_side = [
        "| scale | floor: queries (s) | product: full rebuild (s) | product / floor | "
        f"within {FLOOR_MULTIPLE}x floor + {START_UP_ALLOWANCE:.0f} s | events in the rebuild | "
        "peer: dbt run (s) | peer models (s) | one day (s) | UI backfill: run started (s) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for users in scales:
        side_by_side.append(_bench_scale(users, lines, by_domain))
        print(side_by_side[-1], flush=True)
    return (
        "\n".join(side_by_side)
        + "\n\nEvery stage:\n\n"
        + "\n".join(lines)
        + "\n\nStep seconds per domain inside those runs (Dagster's step records; the floor's "
        "and the peer's query seconds):\n\n" + "\n".join(by_domain)
    )


DOMAINS = ("growth", "revenue", "reliability", "support", "reporting")


def _domain_row(scale: str, run_name: str, figures: dict) -> str:
    seconds = figures.get("domains", {})
    cells = " | ".join(f"{seconds[d]:.1f}" if d in seconds else "-" for d in DOMAINS)
    return f"| {scale} | {run_name} | {cells} |"


def write_results(table: str, scales: list[int]) -> None:
    text = RESULTS_PATH.read_text(encoding="utf-8") if RESULTS_PATH.exists() else ""
    marker = "<!-- bench:latest -->"
    section = (
        f"{marker}\n## Latest `make bench` ({date.today()})\n\n"
        f"Machine: {_machine()}.\n"
        f"Scales: {', '.join(f'{u:,}' for u in scales)} users over {DAYS} days, seed {SEED}, "
        "Parquet landing files. The floor is every SQL asset's query once over the product's "
        "whole range, straight into its table, in dependency order (its query seconds); the "
        "product is `nexus materialize`'s work: every derived asset through Dagster "
        "(`execute_job`, in-process, on a fresh instance made from `dagster-instance.yaml`, "
        "SQLite), each partitioning's months of the two years backfilled in one run, start-up "
        "(imports, code location) included; the peer is "
        "`dbt run` (dbt-core with dbt-duckdb, 1 thread) over the same queries as table models; "
        "one day is the daily cadence's job for the month holding yesterday, as its schedule "
        f"runs it. The goal: product <= {FLOOR_MULTIPLE} x floor + {START_UP_ALLOWANCE:.0f} s. "
        "`events` counts every event the rebuild's runs wrote to the instance. The UI "
        "backfill (demo scale) starts `nexus ui` on the rebuilt warehouse and sends a backfill "
        "of every days_by_month asset over all its months as the launch dialog's default "
        "option does; it gives the seconds until that backfill's run started (goal: 10). "
        "In the stage "
        "table, `rows` for generate and ingest are raw rows written or read, for the other "
        "stages the rows of every derived table afterwards.\n\n"
        f"{table}\n{marker}"
    )
    if marker in text:
        head, _, rest = text.partition(marker)
        _, _, tail = rest.partition(marker)
        text = head + section + tail
    else:
        text = (text or "# Benchmarks\n\n") + "\n" + section + "\n"
    RESULTS_PATH.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m nexus_pipelines.bench")
    parser.add_argument(
        "--stage",
        choices=["generate", "ingest", "materialize", "ui-backfill", "floor", "daily", "peer"],
    )
    parser.add_argument("--users", type=int)
    parser.add_argument("--landing", type=Path)
    parser.add_argument(
        "--scales",
        default=os.environ.get("BENCH_SCALES", "20000,200000,600000"),
        help="comma-separated user counts (default: the demo scale, ten and thirty times it)",
    )
    args = parser.parse_args()
    if args.stage:
        print(json.dumps(_stage(args)))
        return
    scales = [int(value) for value in args.scales.split(",")]
    table = run(scales)
    write_results(table, scales)
    print(f"Wrote {RESULTS_PATH}")


if __name__ == "__main__":
    main()
