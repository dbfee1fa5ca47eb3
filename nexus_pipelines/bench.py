"""`make bench`: generation, ingestion and materialisation speed and memory, written to
docs/benchmarks.md. Each stage runs in its own process so its peak RSS is its own."""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import dagster as dg
import duckdb

from nexus_pipelines.settings import PROJECT_DIR

RESULTS_PATH = PROJECT_DIR / "docs" / "benchmarks.md"
DAYS = 730
SEED = 7


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def _stage(args: argparse.Namespace) -> dict:
    """Run one stage in this process and return its figures."""
    begun = time.perf_counter()
    start = datetime.now(UTC).date() - timedelta(days=DAYS)
    domains: dict[str, float] = {}
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

        with dg.instance_for_test() as instance:
            run_ids = materialize_everything(start=start, ingest=False, instance=instance).run_ids
            domains = _seconds_by_domain(instance, run_ids)
        rows = _derived_rows()
    else:  # what the daily schedule runs each morning: yesterday's partition and its reports
        import dagster as dg

        from nexus_pipelines.definitions import defs
        from nexus_pipelines.partitions import DAILY

        with dg.instance_for_test() as instance:
            result = defs.resolve_job_def("daily_cadence_job").execute_in_process(
                instance=instance, partition_key=DAILY.get_last_partition_key()
            )
            assert result.success
            domains = _seconds_by_domain(instance, [result.run_id])
        rows = _derived_rows()
    seconds = time.perf_counter() - begun
    return {"rows": rows, "seconds": seconds, "peak_rss_mb": _peak_rss_mb()} | (
        {"domains": domains} if args.stage in ("materialize", "daily") else {}
    )


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


def _run_stage(stage: str, users: int, workdir: Path, executor: str = "in_process") -> dict:
    env = os.environ | {
        "NEXUS_DUCKDB_PATH": str(workdir / "warehouse.duckdb"),
        "NEXUS_LANDING_DIR": str(workdir / "landing"),
        "NEXUS_EXECUTOR": executor,
    }
    env.pop("DAGSTER_HOME", None)
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


def run(scales: list[int]) -> str:
    lines = [
        "| scale | stage | rows | seconds | rows/s | peak RSS (MB) |",
        "|---|---|---|---|---|---|",
    ]
    by_domain = [
        "| scale | run | " + " | ".join(DOMAINS) + " |",
        "|---|---|" + "---|" * len(DOMAINS),
    ]
    for index, users in enumerate(scales):
        scale = f"{users:,} users x {DAYS} days"
        with tempfile.TemporaryDirectory(prefix="nexus-bench-") as folder:
            workdir = Path(folder)
            for stage in ("generate", "ingest"):
                figures = _run_stage(stage, users, workdir)
                lines.append(_row(scale, stage, figures))
                print(lines[-1], flush=True)
            # the executor comparison at the first scale only: it decided the default
            for executor in ("multiprocess", "in_process")[0 if index == 0 else 1 :]:
                figures = _run_stage("materialize", users, workdir, executor)
                lines.append(_row(scale, f"materialise derived assets ({executor})", figures))
                print(lines[-1], flush=True)
            by_domain.append(_domain_row(scale, "all derived assets, in-process", figures))
            figures = _run_stage("daily", users, workdir)
            lines.append(_row(scale, "materialise one day (daily cadence job)", figures))
            print(lines[-1], flush=True)
            by_domain.append(_domain_row(scale, "one day (daily cadence job)", figures))
            shutil.rmtree(workdir / "landing", ignore_errors=True)
    return "\n".join(lines) + (
        "\n\nStep seconds per domain inside those runs (Dagster's step records):\n\n"
        + "\n".join(by_domain)
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
        "Parquet landing files. `rows` for generate and ingest are raw rows written or read; "
        "for the materialise stages, the rows of every derived table afterwards. Materialise "
        "derived assets runs every derived asset through Dagster (`execute_job`), the daily "
        "partitions of the data's two years backfilled in one run; one day runs the daily "
        "cadence's job for yesterday's partition, as its schedule does.\n\n"
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
    parser.add_argument("--stage", choices=["generate", "ingest", "materialize", "daily"])
    parser.add_argument("--users", type=int)
    parser.add_argument("--landing", type=Path)
    parser.add_argument(
        "--scales",
        default=os.environ.get("BENCH_SCALES", "20000,200000"),
        help="comma-separated user counts (default: the demo scale and ten times it)",
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
