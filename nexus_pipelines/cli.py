"""`nexus`: generate demo data, ingest files, materialise assets and read the scorecard."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from dagster import BetaWarning

if TYPE_CHECKING:
    import duckdb

    from nexus_pipelines.erasure import ErasurePlan
    from nexus_pipelines.runner import MaterializeSummary

from nexus_pipelines.contract import REFERENCE_PATH, render_reference, write_reference
from nexus_pipelines.settings import load_settings, write_company_overrides


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{text!r} is not a YYYY-MM-DD date") from error


def _demo_start(days: int) -> date:
    """Demo data ends yesterday (UTC), so nothing is in the future and the scorecard is current."""
    return datetime.now(UTC).date() - timedelta(days=days)


def cmd_generate(args: argparse.Namespace) -> int:
    from nexus_pipelines.generator import generate_company

    start = args.start or _demo_start(args.days)
    begun = time.perf_counter()
    counts = generate_company(args.out, args.users, args.days, start, args.seed, args.format)
    seconds = time.perf_counter() - begun
    total = sum(counts.values())
    last_day = start + timedelta(days=args.days - 1)
    print(
        f"Wrote {total:,} rows in {len(counts)} tables to {args.out} in {seconds:.1f} s "
        f"({total / seconds:,.0f} rows/s); data covers {start} .. {last_day}"
    )
    return 0


def cmd_ingest(args: argparse.Namespace) -> int:
    from nexus_pipelines.runner import ingest_landing, ingest_lines

    report = ingest_landing(args.dir, [Path(f) for f in args.files] or None)
    print("\n".join(ingest_lines(report, every_file=True)))
    return 1 if any(result.status == "rejected" for result in report.files) else 0


def cmd_materialize(args: argparse.Namespace) -> int:
    from nexus_pipelines.runner import materialize_everything

    summary = materialize_everything(start=args.start, end=args.end, ingest=not args.skip_ingest)
    return _report(summary)


def _report(summary: MaterializeSummary) -> int:
    """The run's own record decides the exit code: anything not materialised is a failure."""
    print(("Done: " if summary.ok else "Incomplete: ") + summary.line())
    if summary.not_started:
        print(
            f"Not started, because an earlier run did not finish its work: "
            f"{len(summary.not_started)} assets"
        )
    return 0 if summary.ok else 1


def cmd_scorecard(args: argparse.Namespace) -> int:
    from nexus_pipelines.scorecard import compute_scorecard, render_text
    from nexus_pipelines.warehouse import Warehouse, default_as_of

    settings = load_settings()
    if not settings.duckdb_path.exists():
        print(
            f"No warehouse at {settings.duckdb_path}: run `make demo` or `nexus ingest` first.",
            file=sys.stderr,
        )
        return 2
    with Warehouse().get_connection(read_only=True) as connection:
        rows = compute_scorecard(connection, args.as_of or default_as_of(connection))
    if args.json:
        print(json.dumps([row.public() for row in rows], indent=2))
    else:
        print(render_text(rows))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """Build the demo from nothing: a fresh landing folder and warehouse, a company founded on
    its data's first day (so no partition precedes the data), then every asset."""
    settings = load_settings()
    shutil.rmtree(settings.landing_dir, ignore_errors=True)
    settings.duckdb_path.unlink(missing_ok=True)
    Path(f"{settings.duckdb_path}.wal").unlink(missing_ok=True)
    start = _demo_start(args.days)
    # before anything imports the partitions, which are cut from the founding date at load
    written = write_company_overrides(settings, founded_on=start)
    print(f"Founding date {start} written to {written}.")

    from nexus_pipelines.generator import generate_company
    from nexus_pipelines.runner import materialize_everything

    counts = generate_company(settings.landing_dir, args.users, args.days, start, args.seed)
    print(f"Generated {sum(counts.values()):,} rows of a demo company from {start}.")
    status = _report(materialize_everything())
    scorecard = cmd_scorecard(argparse.Namespace(as_of=None, json=False))
    return status or scorecard


def _erase_or_purge(
    plans_of: Callable[[duckdb.DuckDBPyConnection], list[ErasurePlan]],
    dry_run: bool,
    job_name: str,
    run_config: dict,
    command: str,
) -> int:
    """List what the plans remove; unless a dry run, run the job that removes it, logs it and
    rebuilds every derived table (nexus_pipelines/erasure_jobs.py), recorded in the instance."""
    from nexus_pipelines.erasure import erasure_salt
    from nexus_pipelines.warehouse import Warehouse

    settings = load_settings()
    if not settings.duckdb_path.exists():
        print(f"No warehouse at {settings.duckdb_path}.", file=sys.stderr)
        return 2
    if not dry_run:
        erasure_salt()  # refused before anything is touched or a run is made
    # the request is checked here too, so that a refused one makes no failed run
    with Warehouse().get_connection(read_only=True) as connection:
        plans = plans_of(connection)
    if dry_run:
        for plan in plans:
            print(f"Would remove for {plan.request_id} ({plan.rows_removed} rows):")
            print("\n".join(plan.lines()))
        print(f"Dry run: nothing changed; run without --dry-run to launch the {job_name} job.")
        return 0
    return _run_removal(job_name, run_config, command)


def _run_removal(job_name: str, run_config: dict, command: str) -> int:
    """Execute the job in this process as a run of the instance; report from its own record:
    the audit rows under its run id, and the rebuild runs it started."""
    import dagster as dg
    from dagster._core.storage.dagster_run import RunsFilter

    from nexus_pipelines.erasure import AUDIT_TABLE, ErasurePlan, TableEffect
    from nexus_pipelines.erasure_jobs import REQUESTED_BY_TAG
    from nexus_pipelines.run_health import process_tags
    from nexus_pipelines.runner import dagster_instance, execute_job_run
    from nexus_pipelines.warehouse import Warehouse

    instance = dagster_instance()
    run_id = execute_job_run(
        job_name,
        instance,
        [],
        process_tags() | {"nexus/trigger": command},
        run_config | {"loggers": {"console": {"config": {"log_level": "INFO"}}}},
    )
    with Warehouse().get_connection(read_only=True) as connection:
        logged = connection.execute(
            f"select request_id, table_name, rows_removed, values_emptied from {AUDIT_TABLE}"
            " where run_id = ? order by request_id, table_name",
            [run_id],
        ).fetchall()
    done: dict[str, ErasurePlan] = {}
    for request_id, table, rows, emptied in logged:
        plan = done.setdefault(request_id, ErasurePlan(request_id, reason=""))
        plan.effects.append(TableEffect(table, rows, emptied))
    for plan in done.values():
        print(f"Removed for {plan.request_id} ({plan.rows_removed} rows):")
        print("\n".join(plan.lines()))
    run = instance.get_run_by_id(run_id)
    rebuilds = instance.get_runs(RunsFilter(tags={REQUESTED_BY_TAG: run_id}))
    if run is None or run.status != dg.DagsterRunStatus.SUCCESS:
        failures = instance.get_records_for_run(
            run_id, of_type=dg.DagsterEventType.STEP_FAILURE
        ).records
        for record in failures:
            event = record.event_log_entry.dagster_event
            error = event.step_failure_data.error
            print(f"{event.step_key}: {error.message.strip()}", file=sys.stderr)
        print(f"Incomplete: the {job_name} run {run_id} failed.", file=sys.stderr)
        return 1
    removed = sum(row[2] + row[3] for row in logged)
    print(
        f"Done: the {job_name} run {run_id} is logged in {AUDIT_TABLE}; "
        + (
            f"derived tables rebuilt in {len(rebuilds)} runs."
            if removed
            else "nothing was removed, so nothing was rebuilt."
        )
    )
    return 0


def cmd_erase(args: argparse.Namespace) -> int:
    from nexus_pipelines.erasure import plan_erasure
    from nexus_pipelines.erasure_jobs import ERASE_OP, ERASURE_JOB

    return _erase_or_purge(
        lambda connection: [plan_erasure(connection, args.request)],
        args.dry_run,
        ERASURE_JOB,
        {"ops": {ERASE_OP: {"config": {"request_id": args.request}}}},
        "nexus erase",
    )


def cmd_purge(args: argparse.Namespace) -> int:
    from nexus_pipelines.erasure import plan_purge
    from nexus_pipelines.erasure_jobs import PURGE_JOB, PURGE_OP

    on = args.on or datetime.now(UTC).date()
    return _erase_or_purge(
        lambda connection: plan_purge(connection, on),
        args.dry_run,
        PURGE_JOB,
        {"ops": {PURGE_OP: {"config": {"on": on.isoformat()}}}},
        "nexus purge",
    )


def cmd_contract_docs(args: argparse.Namespace) -> int:
    if args.check:
        current = REFERENCE_PATH.read_text(encoding="utf-8") if REFERENCE_PATH.exists() else ""
        if current != render_reference():
            print(f"{REFERENCE_PATH} is stale: run `nexus contract-docs`.", file=sys.stderr)
            return 1
        print(f"{REFERENCE_PATH} is current.")
        return 0
    print(f"Wrote {write_reference()}")
    return 0


def cmd_deploy(args: argparse.Namespace) -> int:
    from nexus_pipelines import deploy

    try:
        if args.action == "start":
            started = deploy.start(args.code_port, args.ui_port)
            print(
                f"Started {', '.join(f'{p.role} (pid {p.pid})' for p in started)}; "
                f"UI at http://{deploy.HOST}:{args.ui_port}, code server on port {args.code_port}."
            )
        elif args.action == "status":
            running = deploy.status()
            if not running:
                print("No deployment recorded in DAGSTER_HOME.")
            for role, alive in running.items():
                print(f"{role}: {'running' if alive else 'not running'}")
            return 0 if running and all(running.values()) else 1
        elif args.action == "restart":
            if not args.role:
                raise deploy.DeployError("restart needs --role code_server|daemon|webserver")
            process = deploy.restart(args.role)
            print(f"Restarted {process.role} (pid {process.pid}).")
        else:
            killed = deploy.stop()
            print("Stopped" + (f"; had to SIGKILL {', '.join(killed)}" if killed else "") + ".")
    except deploy.DeployError as error:
        print(f"nexus deploy: {error}", file=sys.stderr)
        return 1
    return 0


def cmd_ui(args: argparse.Namespace) -> int:
    """The webserver and the daemon on this instance, as `dagster dev` runs them but with the
    project's daemon (nexus_pipelines.daemon: backfills start within seconds). Ctrl-C or a
    SIGTERM stops both; if either stops by itself, the other is stopped too (exit 1)."""
    import signal
    import subprocess

    from nexus_pipelines.settings import PROJECT_DIR

    def interrupted(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    workspace = str(PROJECT_DIR / "workspace.yaml")
    webserver = str(Path(sys.executable).parent / "dagster-webserver")
    commands = {
        "daemon": [sys.executable, "-m", "nexus_pipelines.daemon", "run", "-w", workspace],
        "webserver": [webserver, "-w", workspace, "-h", args.host, "-p", str(args.port)],
    }
    signal.signal(signal.SIGTERM, interrupted)
    children: dict[str, subprocess.Popen] = {}
    try:
        for role, command in commands.items():
            children[role] = subprocess.Popen(command)
        while True:
            for role, child in children.items():
                if child.poll() is not None:
                    print(f"nexus ui: the {role} exited ({child.returncode})", file=sys.stderr)
                    return 1
            time.sleep(1)
    except KeyboardInterrupt:
        return 0
    finally:
        for child in children.values():
            if child.poll() is None:
                child.terminate()
        for child in children.values():
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


def cmd_report(args: argparse.Namespace) -> int:
    """The reports listed, or a stored version written out (nexus_pipelines/report_export.py)."""
    from nexus_pipelines.report_export import (
        ExportError,
        export,
        find_report,
        listing,
        stored_version,
    )
    from nexus_pipelines.reports import load_reports
    from nexus_pipelines.warehouse import Warehouse

    reports = load_reports()
    if args.list:
        print(listing(reports))
        return 0
    settings = load_settings()
    try:
        if not args.name:
            raise ExportError("name a report (see `nexus report --list`), or pass --list")
        report = find_report(reports, args.name)
        if not settings.duckdb_path.exists():
            raise ExportError(
                f"no warehouse at {settings.duckdb_path}: run `make demo` or `nexus materialize`"
            )
        with Warehouse().get_connection(read_only=True) as connection:
            version = stored_version(connection, report, args.as_of)
    except ExportError as error:
        print(f"nexus report: {error}", file=sys.stderr)
        return 1
    text = export(version, args.format)
    if args.destination is None:
        sys.stdout.write(text)
        return 0
    args.destination.write_text(text, encoding="utf-8")
    print(f"Wrote {report.name} as of {version.day} ({args.format}) to {args.destination}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    from nexus_pipelines.generator import DEMO_DAYS, DEMO_USERS

    parser = argparse.ArgumentParser(prog="nexus", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    generate = commands.add_parser("generate", help="write a synthetic company's raw files")
    generate.add_argument("--users", type=int, default=DEMO_USERS)
    generate.add_argument("--days", type=int, default=DEMO_DAYS)
    generate.add_argument("--start", type=_date, help="first day (default: DAYS before today)")
    generate.add_argument("--seed", type=int, default=7)
    generate.add_argument("--out", type=Path, default=None, help="default: the landing folder")
    generate.add_argument("--format", choices=["parquet", "csv"], default="parquet")
    generate.set_defaults(handler=cmd_generate)

    ingest = commands.add_parser("ingest", help="validate and load landing files into raw.*")
    ingest.add_argument("dir", type=Path, help="landing folder")
    ingest.add_argument("files", nargs="*", help="only these files (default: all in DIR)")
    ingest.set_defaults(handler=cmd_ingest)

    materialize = commands.add_parser(
        "materialize", help="ingest the landing folder and materialise every asset via Dagster"
    )
    materialize.add_argument("--start", type=_date, help="first day (from its month's first)")
    materialize.add_argument(
        "--end", type=_date, help="last day, to its month's end (default: yesterday)"
    )
    materialize.add_argument("--skip-ingest", action="store_true")
    materialize.set_defaults(handler=cmd_materialize)

    scorecard = commands.add_parser("scorecard", help="print the success-metrics scorecard")
    scorecard.add_argument("--as-of", type=_date, help="YYYY-MM-DD (default: yesterday)")
    scorecard.add_argument("--json", action="store_true")
    scorecard.set_defaults(handler=cmd_scorecard)

    demo = commands.add_parser("demo", help="generate, load and materialise the demo company")
    demo.add_argument("--users", type=int, default=DEMO_USERS)
    demo.add_argument("--days", type=int, default=DEMO_DAYS)
    demo.add_argument("--seed", type=int, default=7)
    demo.set_defaults(handler=cmd_demo)

    deploy = commands.add_parser(
        "deploy", help="start, check or stop the production shape (docs/deploy.md)"
    )
    deploy.add_argument("action", choices=["start", "status", "restart", "stop"])
    deploy.add_argument(
        "--role", choices=["code_server", "daemon", "webserver"], help="what `restart` restarts"
    )
    deploy.add_argument("--code-port", type=int, default=4000)
    deploy.add_argument("--ui-port", type=int, default=3000)
    deploy.set_defaults(handler=cmd_deploy)

    ui = commands.add_parser("ui", help="the Dagster UI and daemon on this instance (make ui)")
    ui.add_argument("--host", default="127.0.0.1")
    ui.add_argument("--port", type=int, default=3000)
    ui.set_defaults(handler=cmd_ui)

    erase = commands.add_parser(
        "erase", help="carry out an erasure request (GDPR Art. 17) and rebuild what it fed"
    )
    erase.add_argument("--request", required=True, help="raw.data_subject_requests request_id")
    erase.add_argument("--dry-run", action="store_true", help="list what would be removed")
    erase.set_defaults(handler=cmd_erase)

    purge = commands.add_parser(
        "purge", help="delete records past their retention period (monthly) and rebuild"
    )
    purge.add_argument("--on", type=_date, help="the purge day (default: today, UTC)")
    purge.add_argument("--dry-run", action="store_true", help="list what would be removed")
    purge.set_defaults(handler=cmd_purge)

    report = commands.add_parser(
        "report", help="list the reports, or write a stored one as markdown or HTML"
    )
    report.add_argument("name", nargs="?", help="the report (`--list` names them)")
    report.add_argument("--list", action="store_true", help="every report, cadence and owner")
    report.add_argument("--as-of", type=_date, help="YYYY-MM-DD (default: the newest stored)")
    report.add_argument("--format", choices=["md", "html"], default="md")
    # not `out`: main() fills an unset `--out` with the landing folder (generate's default)
    report.add_argument(
        "--out", dest="destination", type=Path, help="file to write (default: standard output)"
    )
    report.set_defaults(handler=cmd_report)

    docs = commands.add_parser("contract-docs", help="regenerate docs/raw-data-contract.md")
    docs.add_argument("--check", action="store_true", help="fail if the document is stale")
    docs.set_defaults(handler=cmd_contract_docs)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    # backfill_policy is a beta API used on purpose; the notice is noise on a terminal.
    warnings.filterwarnings("ignore", category=BetaWarning)
    args = build_parser().parse_args(argv)
    if getattr(args, "out", "unset") is None:
        args.out = load_settings().landing_dir
    try:
        return args.handler(args)
    except (ValueError, OSError) as error:
        print(f"nexus: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
