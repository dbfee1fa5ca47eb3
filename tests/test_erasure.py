"""Erasure (GDPR Art. 17) and retention purge, end to end through the real `nexus` CLI and the
Dagster jobs it launches (`erasure`, `retention_purge`, the latter also on a monthly schedule).

One generated company is built twice: warehouse A from every landing file, then user SUBJECT is
erased from it by `nexus erase`; warehouse B from the same files with the subject's rows left out
from the start (rows a column marked `identifies_user: owner` ties to them dropped, `mention`
columns emptied, by plain CSV handling here, not by the code under test). Every derived table of
A must then equal B's, and no table of A may hold the subject's id.
"""

from __future__ import annotations

import copy
import csv
import hashlib
import os
import re
import shutil
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import dagster as dg
import duckdb
import pytest
import yaml
from dagster._core.storage.dagster_run import RunsFilter
from dagster._utils.schedules import cron_string_iterator
from deployment import open_instance

from nexus_pipelines.contract import load_contract, parse_contract
from nexus_pipelines.definitions import defs
from nexus_pipelines.settings import load_yaml

REPO = Path(__file__).resolve().parents[1]
START = date(2026, 9, 1)
SUBJECT = 31  # in the seed-42 company: referred someone, pays, filed a ticket, has experiments
REQUEST = "dsr_erase_31"
SALT = "test-salt-not-secret"
DSR_HEADER = "request_id,user_id,request_type,received_at,extension_notified_at,closed_at\n"
USER_COLUMNS = ("user_id", "customer_id")  # how derived tables name a user id


def _env(root: Path, salt: str | None = SALT) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("NEXUS_", "DAGSTER_"))
    }
    env.update(
        PYTHONPATH=str(REPO),
        NEXUS_DUCKDB_PATH=str(root / "warehouse.duckdb"),
        NEXUS_LANDING_DIR=str(root / "landing"),
        NEXUS_FOUNDED_ON=START.isoformat(),
        NEXUS_DUCKDB_THREADS="2",
        DAGSTER_HOME=str(root / "dagster"),
    )
    if salt is not None:
        env["NEXUS_ERASURE_SALT"] = salt
    (root / "dagster").mkdir(parents=True, exist_ok=True)
    return env


def nexus(root: Path, *args: str, salt: str | None = SALT) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "nexus_pipelines.cli", *args],
        env=_env(root, salt),
        capture_output=True,
        text=True,
        timeout=900,
    )


def _ok(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout


def _read(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


def _write(path: Path, header: list[str], rows: list[dict[str, str]]) -> None:
    """Minimal quoting, where the generator quotes everything: the same rows, other bytes, so a
    re-sent file is not skipped as already loaded."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, header)
        writer.writeheader()
        writer.writerows(rows)


def _subject_rows(landing: Path) -> dict[str, int]:
    """Per raw table, the landing rows the subject owns, counted from the CSV text."""
    counts = {}
    for table in load_contract().values():
        owners = table.user_columns("owner")
        if not owners:
            continue
        counts[table.name] = sum(
            any(row[name] == str(SUBJECT) for name in owners)
            for path in sorted((landing / table.name).glob("*.csv"))
            for row in _read(path)[1]
        )
    return counts


def _subject_mentions(landing: Path) -> dict[str, int]:
    """Per raw table, the landing rows only mentioning the subject (another's row naming them)."""
    counts = {}
    for table in load_contract().values():
        for name in table.user_columns("mention"):
            counts[table.name] = counts.get(table.name, 0) + sum(
                row[name] == str(SUBJECT)
                for path in sorted((landing / table.name).glob("*.csv"))
                for row in _read(path)[1]
            )
    return {table: count for table, count in counts.items() if count}


def _without_subject(source: Path, target: Path) -> None:
    """Copy a landing folder as if the subject had never been a user."""
    shutil.copytree(source, target)
    for table in load_contract().values():
        owners, mentions = table.user_columns("owner"), table.user_columns("mention")
        for path in sorted((target / table.name).glob("*.csv")) if owners or mentions else ():
            header, rows = _read(path)
            kept = [row for row in rows if all(row[name] != str(SUBJECT) for name in owners)]
            for row in kept:
                for name in mentions:
                    if row[name] == str(SUBJECT):
                        row[name] = ""
            _write(path, header, kept)


def _tables(path: Path, schemas: set[str] | None = None) -> dict[str, list[str]]:
    with duckdb.connect(str(path), read_only=True) as connection:
        rows = connection.execute(
            "select table_schema || '.' || table_name, list(column_name order by ordinal_position)"
            " from information_schema.columns group by all order by 1"
        ).fetchall()
    return {name: columns for name, columns in rows if not schemas or name.split(".")[0] in schemas}


def _holding_subject(path: Path) -> dict[str, int]:
    found = {}
    with duckdb.connect(str(path), read_only=True) as connection:
        for name, columns in _tables(path).items():
            for column in columns:
                if column in USER_COLUMNS or column.endswith("_user_id"):
                    hits = connection.execute(
                        f'select count(*) from {name} where "{column}" = ?', [SUBJECT]
                    ).fetchone()[0]
                    if hits:
                        found[f"{name}.{column}"] = hits
    return found


def _latest_report(name: str, columns: list[str]) -> str:
    """A report table keeps every report it rendered, each stamped with when: the latest per
    report, its stamp masked, is what must match."""
    others = ", ".join(c for c in columns if c not in ("generated_at", "report_markdown"))
    return (
        f"select * exclude (generated_at) replace (regexp_replace(report_markdown,"
        f" '\\d{{4}}-\\d{{2}}-\\d{{2}} \\d{{2}}:\\d{{2}} UTC', 'WHEN', 'g') as report_markdown)"
        f" from {name} qualify generated_at"
        f" = max(generated_at) over ({'partition by ' + others if others else ''})"
    )


def _contents(path: Path, schemas: set[str]) -> dict[str, list[tuple]]:
    with duckdb.connect(str(path), read_only=True) as connection:
        return {
            name: sorted(
                connection.execute(
                    _latest_report(name, columns)
                    if "report_markdown" in columns
                    else f"select * from {name}"
                ).fetchall(),
                key=repr,
            )
            for name, columns in _tables(path, schemas).items()
        }


BAD_FILE = "bad-lines.csv"
OTHER = 7  # another user, whose unreadable line stays in the quarantine


def _bad_lines(landing: Path) -> None:
    """An events file of three lines with one value too many each: two of the subject's (their id
    quoted in one, as the generator writes it), one of another user. The reader cannot split
    such a line, so each goes to the quarantine whole: one quarantine row per line."""
    header, rows = _read(sorted((landing / "events").glob("*.csv"))[0])
    template = rows[0]
    lines = [",".join(header)]
    for user, quote in ((SUBJECT, ""), (SUBJECT, '"'), (OTHER, "")):
        values = [
            f"{quote}{user}{quote}" if name == "user_id" else template[name] for name in header
        ]
        lines.append(",".join([*values, "one too many"]))
    (landing / "events" / BAD_FILE).write_text("\n".join(lines) + "\n", encoding="utf-8")


def _quarantined(path: Path) -> dict:
    """The bad file's quarantine rows and ingestion log counts."""
    with duckdb.connect(str(path), read_only=True) as connection:
        rows = connection.execute(
            "select row_number, rule, value from ingest.quarantine where file_path like ?"
            " order by row_number",
            [f"%{BAD_FILE}"],
        ).fetchall()
        log = connection.execute(
            "select rows_in, loaded, quarantined from ingest.ingestion_log where file_path like ?",
            [f"%{BAD_FILE}"],
        ).fetchall()
    return {"rows": rows, "log": log}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Warehouse A with the subject erased by the CLI, warehouse B never holding them."""
    a, b = tmp_path_factory.mktemp("with_subject"), tmp_path_factory.mktemp("never_subject")
    _ok(nexus(a, "generate", "--users", "200", "--days", "60", "--start", str(START),
              "--format", "csv"))  # fmt: skip
    request = a / "landing" / "data_subject_requests" / "erasure_request.csv"
    request.write_text(DSR_HEADER + f"{REQUEST},{SUBJECT},erasure,2026-10-20T10:00:00Z,,\n")
    original = _subject_rows(a / "landing")
    mentions = _subject_mentions(a / "landing")
    _without_subject(a / "landing", b / "landing")
    _bad_lines(a / "landing")  # only A: B never received them
    _ok(nexus(a, "materialize"))
    before = _contents(a / "warehouse.duckdb", {"raw"})
    quarantined = _quarantined(a / "warehouse.duckdb")
    dry_run = nexus(a, "erase", "--request", REQUEST, "--dry-run")
    after_dry_run = _contents(a / "warehouse.duckdb", {"raw"})
    no_salt = nexus(a, "erase", "--request", REQUEST, salt=None)
    erased = nexus(a, "erase", "--request", REQUEST)
    _ok(nexus(b, "materialize"))
    return {
        "a": a, "b": b, "original": original, "mentions": mentions, "before": before,
        "dry_run": dry_run, "after_dry_run": after_dry_run, "no_salt": no_salt, "erased": erased,
        "quarantined": quarantined,
    }  # fmt: skip


def test_dry_run_lists_the_rows_and_changes_nothing(built: dict) -> None:
    out = _ok(built["dry_run"])
    assert built["after_dry_run"] == built["before"]
    for table, rows in built["original"].items():
        if rows:
            assert f"raw.{table}: {rows} rows removed" in out
    assert "ingest.quarantine: 2 rows removed" in out
    assert "Dry run: nothing changed" in out


def test_a_missing_salt_is_a_clear_error_and_erases_nothing(built: dict) -> None:
    result = built["no_salt"]
    assert result.returncode == 2
    assert "NEXUS_ERASURE_SALT is not set" in result.stderr
    assert "Removed" not in result.stdout


def test_no_table_holds_the_subject_and_derived_tables_equal_a_warehouse_without_them(
    built: dict,
) -> None:
    out = _ok(built["erased"])
    assert "Done: " in out
    a, b = built["a"] / "warehouse.duckdb", built["b"] / "warehouse.duckdb"
    # the subject was in the raw data and in derived tables before (else the test proves nothing)
    assert sum(built["original"].values()) > 50
    assert _holding_subject(a) == {}
    derived = {name.split(".")[0] for name in _tables(b)} - {"raw", "ingest"}
    assert {"growth", "revenue", "experiments", "support"} <= derived
    contents_a, contents_b = _contents(a, derived), _contents(b, derived)
    assert contents_a.keys() == contents_b.keys()
    different = [name for name in contents_b if contents_a[name] != contents_b[name]]
    assert different == []
    # the raw tables too, but for the bookkeeping of what was loaded when
    assert _contents(a, {"raw"}) == _contents(b, {"raw"})


def test_the_audit_log_records_the_erasure_without_personal_data(built: dict) -> None:
    _ok(built["erased"])
    with duckdb.connect(str(built["a"] / "warehouse.duckdb"), read_only=True) as connection:
        log = connection.execute(
            "select table_name, rows_removed, subject_hash, reason, executed_by, run_id"
            " from ingest.erasure_log where request_id = ? and rows_removed > 0",
            [REQUEST],
        ).fetchall()
        suppressed = connection.execute(
            "select subject_hash from ingest.erased_subjects"
        ).fetchall()
        values = {
            str(value)
            for table in ("ingest.erasure_log", "ingest.erased_subjects")
            for row in connection.execute(f"select * from {table}").fetchall()
            for value in row
        }
    assert {table: rows for table, rows, *_ in log} == {
        table: rows for table, rows in built["original"].items() if rows
    } | {"ingest.quarantine": 2}
    hashes = {row[2] for row in log}
    assert len(hashes) == 1 and suppressed == [(hashes.pop(),)]
    assert {row[3] for row in log} == {"erasure"} and len({row[5] for row in log}) == 1
    # neither the id nor an unsalted hash of it is stored; the stored hash is salted
    assert str(SUBJECT) not in values
    assert hashlib.sha256(f":{SUBJECT}".encode()).hexdigest() not in values
    assert hashlib.sha256(f"{SALT}:{SUBJECT}".encode()).hexdigest() in values


def test_the_quarantined_lines_of_the_subject_go_and_the_counts_add_up(built: dict) -> None:
    """Lines 1 and 2 (the subject's) were quarantined whole, with their id in the value; the
    erasure deletes those two quarantine rows and logs them; line 3 (user 7) stays. The
    ingestion log keeps what ingestion saw: 3 in, 0 loaded, 3 quarantined = 1 still in the
    quarantine + 2 removed (ingest.erasure_log)."""
    _ok(built["erased"])
    before = built["quarantined"]
    assert [(row, rule) for row, rule, _ in before["rows"]] == [
        (1, "unreadable"),
        (2, "unreadable"),
        (3, "unreadable"),
    ]
    assert all(str(SUBJECT) in value for _, _, value in before["rows"][:2])
    assert before["log"] == [(3, 0, 3)]
    after = _quarantined(built["a"] / "warehouse.duckdb")
    assert after == {"rows": [before["rows"][2]], "log": [(3, 0, 3)]}
    assert str(OTHER) in after["rows"][0][2] and str(SUBJECT) not in after["rows"][0][2]
    with duckdb.connect(str(built["a"] / "warehouse.duckdb"), read_only=True) as connection:
        removed = connection.execute(
            "select sum(rows_removed), sum(values_emptied) from ingest.erasure_log"
            " where request_id = ? and table_name = 'ingest.quarantine'",
            [REQUEST],
        ).fetchone()
        holding = connection.execute(
            "select count(*) from ingest.quarantine where value like ?", [f"%,{SUBJECT},%"]
        ).fetchone()[0]
    assert removed == (2, 0)
    assert len(after["rows"]) + removed[0] == after["log"][0][2]
    assert holding == 0


def test_reingesting_the_old_files_does_not_restore_the_subject(built: dict) -> None:
    _ok(built["erased"])
    a = built["a"]
    for table in built["original"]:
        for path in sorted((a / "landing" / table).glob("part-*.csv")):
            _write(path.with_name(f"resent-{path.name}"), *_read(path))
    out = _ok(nexus(a, "ingest", str(a / "landing")))
    assert "0 quarantined" in out
    with duckdb.connect(str(a / "warehouse.duckdb"), read_only=True) as connection:
        logged = dict(
            connection.execute(
                "select table_name, sum(suppressed) from ingest.ingestion_log"
                " where file_path like '%resent-%' group by 1"
            ).fetchall()
        )
        adds_up = connection.execute(
            "select bool_and(rows_in = loaded + quarantined + duplicates + suppressed)"
            " from ingest.ingestion_log"
        ).fetchone()[0]
    assert logged == built["original"]
    assert adds_up
    assert _holding_subject(a / "warehouse.duckdb") == {}
    # without the salt an ingest cannot check the list, so it refuses
    refused = nexus(a, "ingest", str(a / "landing"), salt=None)
    assert refused.returncode == 2 and "NEXUS_ERASURE_SALT" in refused.stderr


def test_a_request_is_executed_once_and_only_an_erasure_request(built: dict) -> None:
    _ok(built["erased"])
    again = nexus(built["a"], "erase", "--request", REQUEST)
    assert again.returncode == 2 and f"Request '{REQUEST}' was executed at" in again.stderr
    with duckdb.connect(str(built["a"] / "warehouse.duckdb"), read_only=True) as connection:
        access = connection.execute(
            "select min(request_id) from raw.data_subject_requests where request_type = 'access'"
        ).fetchone()[0]
    refused = nexus(built["a"], "erase", "--request", access, "--dry-run")
    assert refused.returncode == 2 and "is of type access, not erasure" in refused.stderr
    unknown = nexus(built["a"], "erase", "--request", "no_such_request", "--dry-run")
    assert unknown.returncode == 2 and "No data-subject request 'no_such_request'" in unknown.stderr


@pytest.mark.parametrize(
    ("field", "error"),
    [
        ("{identifies_user: owner, type: VARCHAR}", "applies to user ids (BIGINT)"),
        ("{identifies_user: mention, type: BIGINT}", "a mention is emptied on erasure"),
        ("{identifies_user: someone, type: BIGINT}", "identifies_user is one of"),
    ],
)
def test_the_contract_refuses_a_wrong_user_marking(field: str, error: str) -> None:
    document = copy.deepcopy(load_yaml(REPO / "assets" / "raw_contract.yaml"))
    spec = dict(yaml.safe_load(field), name="who", meaning="x")
    document["tables"]["users"]["columns"].append(spec)
    with pytest.raises(ValueError, match=re.escape(error)):
        parse_contract(document)


PURGE_ON = "2027-11-15"
# generator's retention_policies: usage_events 395 days, marketing_contacts 365, support 730,
# billing 3650. On 2027-11-15: usage records before 2026-10-16 (2027-11-15 - 395 days) and
# campaign selections before 2026-11-15 (all of them: the data ends 2026-10-30) are past it.
PURGED = {
    ("events", "occurred_at"): "2026-10-16",
    ("feature_usage", "used_at"): "2026-10-16",
    ("campaign_targets", "selected_at"): "2026-11-15",
}


def test_retention_purge_removes_records_past_their_period_and_logs_it(
    built: dict, tmp_path: Path
) -> None:
    _ok(built["erased"])
    root = tmp_path / "purge"
    shutil.copytree(built["b"], root)  # warehouse B and its landing files
    expected = {
        table: sum(
            row[column] < cutoff
            for path in sorted((root / "landing" / table).glob("*.csv"))
            for row in _read(path)[1]
        )
        for (table, column), cutoff in PURGED.items()
    }
    assert all(expected.values())  # the cutoffs fall inside the data
    warehouse = root / "warehouse.duckdb"
    before = _contents(warehouse, {"raw"})
    dry_run = _ok(nexus(root, "purge", "--on", PURGE_ON, "--dry-run"))
    assert _contents(warehouse, {"raw"}) == before
    for table, rows in expected.items():
        assert f"raw.{table}: {rows} rows removed" in dry_run
    assert "raw.invoices" not in dry_run and "raw.support_tickets" not in dry_run
    _ok(nexus(root, "purge", "--on", PURGE_ON))
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        for (table, column), cutoff in PURGED.items():
            left, older = connection.execute(
                f"select count(*), count(*) filter (where {column} < ?::TIMESTAMPTZ)"
                f" from raw.{table}",
                [cutoff],
            ).fetchone()
            assert older == 0
            assert left == len(before[f"raw.{table}"]) - expected[table]
        log = connection.execute(
            "select request_id, table_name, rows_removed, subject_hash from ingest.erasure_log"
            " where reason = 'retention' and rows_removed > 0 order by all"
        ).fetchall()
        # the derived tables were rebuilt over the whole range: no active user before the cutoff
        early_active = connection.execute(
            "select coalesce(sum(active_users), 0) from growth.daily_active_users"
            " where activity_date < '2026-10-16'"
        ).fetchone()[0]
    assert log == sorted(
        [
            (
                "retention:marketing_contacts",
                "campaign_targets",
                expected["campaign_targets"],
                None,
            ),
            ("retention:usage_events", "events", expected["events"], None),
            ("retention:usage_events", "feature_usage", expected["feature_usage"], None),
        ]
    )
    assert early_active == 0


def _materialised(instance: dg.DagsterInstance, run_id: str) -> dict[str, dict]:
    """The raw assets a run recorded as materialised, with their metadata's removal counts."""
    found = {}
    for record in instance.get_records_for_run(
        run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION
    ).records:
        event = record.event_log_entry.dagster_event
        metadata = event.event_specific_data.materialization.metadata
        found[event.asset_key.to_user_string()] = {
            name: metadata[name].value for name in ("rows_removed", "values_emptied")
        }
    return found


def _step_errors(instance: dg.DagsterInstance, run_id: str) -> str:
    return "\n".join(
        record.event_log_entry.dagster_event.step_failure_data.error.message
        for record in instance.get_records_for_run(
            run_id, of_type=dg.DagsterEventType.STEP_FAILURE
        ).records
    )


def test_the_erasure_is_a_run_of_the_erasure_job_recording_the_raw_tables_it_changed(
    built: dict,
) -> None:
    _ok(built["erased"])
    instance = open_instance(built["a"] / "dagster")
    # the refused attempts (no salt, a second request) made no run: only the one that erased
    (run,) = instance.get_runs(RunsFilter(job_name="erasure"))
    assert run.status == dg.DagsterRunStatus.SUCCESS
    assert run.run_config["ops"]["erase_subject"]["config"] == {"request_id": REQUEST}
    assert run.run_id in built["erased"].stdout
    with duckdb.connect(str(built["a"] / "warehouse.duckdb"), read_only=True) as connection:
        logged = connection.execute(
            "select distinct run_id from ingest.erasure_log where request_id = ?", [REQUEST]
        ).fetchall()
    assert logged == [(run.run_id,)]
    # one materialisation per raw table changed, saying what went (counted from the CSV text)
    changed = built["original"].keys() | built["mentions"].keys()
    assert _materialised(instance, run.run_id) == {
        f"raw/{table}": {
            "rows_removed": built["original"].get(table, 0),
            "values_emptied": built["mentions"].get(table, 0),
        }
        for table in changed
        if built["original"].get(table) or built["mentions"].get(table)
    }
    assert built["mentions"].get("data_subject_requests") == 1  # the request's own row
    # the derived tables were rebuilt by runs of the rebuild jobs, each naming this run
    rebuilds = instance.get_runs(RunsFilter(tags={"nexus/requested_by_run": run.run_id}))
    # the tables' two partitionings, and the reports of each period (the newest)
    assert {r.job_name for r in rebuilds} == {
        f"rebuild_{name}" for name in ("days_by_month", "weekly", "monthly", "quarterly")
    }
    assert {r.status for r in rebuilds} == {dg.DagsterRunStatus.SUCCESS}


def test_the_erasure_job_refuses_a_request_not_of_type_erasure_and_a_missing_salt(
    built: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As an operator launching the job from the launchpad would: the run fails, saying why,
    and nothing is removed or logged."""
    _ok(built["erased"])
    a = built["a"]
    for name, value in _env(a).items():
        if name.startswith("NEXUS_"):
            monkeypatch.setenv(name, value)
    warehouse = a / "warehouse.duckdb"
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        access = connection.execute(
            "select min(request_id) from raw.data_subject_requests where request_type = 'access'"
        ).fetchone()[0]
    before = _contents(warehouse, {"raw", "ingest"})
    job = defs.resolve_job_def("erasure")
    config = {"ops": {"erase_subject": {"config": {"request_id": access}}}}
    with dg.instance_for_test() as instance:
        wrong = job.execute_in_process(run_config=config, instance=instance, raise_on_error=False)
        assert not wrong.success
        assert f"Request '{access}' is of type access, not erasure" in _step_errors(
            instance, wrong.run_id
        )
        monkeypatch.delenv("NEXUS_ERASURE_SALT")
        config = {"ops": {"erase_subject": {"config": {"request_id": REQUEST}}}}
        no_salt = job.execute_in_process(run_config=config, instance=instance, raise_on_error=False)
        assert not no_salt.success
        assert "NEXUS_ERASURE_SALT is not set" in _step_errors(instance, no_salt.run_id)
        assert _materialised(instance, wrong.run_id) == {}
        assert _materialised(instance, no_salt.run_id) == {}
    assert _contents(warehouse, {"raw", "ingest"}) == before


def test_the_retention_purge_is_scheduled_on_the_monthly_cadence_before_its_job() -> None:
    repository = defs.get_repository_def()
    schedule = repository.get_schedule_def("retention_purge_schedule")
    monthly = repository.get_schedule_def("monthly_cadence_schedule")
    assert schedule.job_name == "retention_purge"
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    assert schedule.execution_timezone == monthly.execution_timezone == "UTC"
    # a year of ticks from 2026-12-15: the purge at 04:00 on the 1st, the monthly job at 08:00
    start = datetime(2026, 12, 15, tzinfo=UTC).timestamp()
    purges = cron_string_iterator(start, schedule.cron_schedule, "UTC")
    months = cron_string_iterator(start, monthly.cron_schedule, "UTC")
    pairs = [(next(purges), next(months)) for _ in range(12)]
    assert pairs[0] == (datetime(2027, 1, 1, 4, tzinfo=UTC), datetime(2027, 1, 1, 8, tzinfo=UTC))
    assert all(p.date() == m.date() and p < m for p, m in pairs)
    assert [p.month for p, _ in pairs] == [*range(1, 13)]


# A tick on 2027-11-01: usage records before 2026-10-02 (2027-11-01 - 395 days) and campaign
# selections before 2026-11-01 (- 365 days: all of them, the data ends 2026-10-30) are past
# their period; support tickets (730 days) and invoices (3650) are not.
TICK = datetime(2027, 11, 1, 4, 0, tzinfo=UTC)
SCHEDULED_CUTOFFS = {
    ("events", "occurred_at"): "2026-10-02",
    ("feature_usage", "used_at"): "2026-10-02",
    ("campaign_targets", "selected_at"): "2026-11-01",
}


def test_the_scheduled_purge_removes_logs_records_and_rebuilds_and_repeats_as_a_no_op(
    built: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "scheduled"
    shutil.copytree(built["b"], root)  # warehouse B and its landing files
    for name, value in _env(root).items():
        if name.startswith("NEXUS_"):
            monkeypatch.setenv(name, value)
    expected = {
        table: sum(
            row[column] < cutoff
            for path in sorted((root / "landing" / table).glob("*.csv"))
            for row in _read(path)[1]
        )
        for (table, column), cutoff in SCHEDULED_CUTOFFS.items()
    }
    total = {
        table: sum(len(_read(path)[1]) for path in (root / "landing" / table).glob("*.csv"))
        for table, _ in SCHEDULED_CUTOFFS
    }
    # the cutoffs fall inside the usage data and after all of the campaign selections
    assert 0 < expected["events"] < total["events"]
    assert 0 < expected["feature_usage"] < total["feature_usage"]
    assert expected["campaign_targets"] == total["campaign_targets"] > 0
    repository = defs.get_repository_def()
    schedule = repository.get_schedule_def("retention_purge_schedule")
    context = dg.build_schedule_context(scheduled_execution_time=TICK, repository_def=repository)
    (request,) = schedule.evaluate_tick(context).run_requests
    assert request.run_config == {"ops": {"purge_retention": {"config": {"on": "2027-11-01"}}}}
    job = defs.resolve_job_def(request.job_name or schedule.job_name)
    warehouse = root / "warehouse.duckdb"
    with dg.instance_for_test() as instance:
        first = job.execute_in_process(
            run_config=request.run_config, instance=instance, tags=request.tags
        )
        with duckdb.connect(str(warehouse), read_only=True) as connection:
            for (table, column), cutoff in SCHEDULED_CUTOFFS.items():
                left, older = connection.execute(
                    f"select count(*), count(*) filter (where {column} < ?::TIMESTAMPTZ)"
                    f" from raw.{table}",
                    [cutoff],
                ).fetchone()
                assert (left, older) == (total[table] - expected[table], 0), table
            # the retention control's rule on what the warehouse holds: no record of a
            # category older than the purge day minus the category's period
            past = connection.execute(
                "select data_category, retention_days from raw.retention_policies"
            ).fetchall()
            oldest = {
                "usage_events": ("events", "occurred_at"),
                "marketing_contacts": ("campaign_targets", "selected_at"),
                "support_conversations": ("support_tickets", "created_at"),
                "billing_records": ("invoices", "issued_at"),
            }
            breaches = [
                category
                for category, days in past
                if category in oldest
                and connection.execute(
                    f"select count(*) from raw.{oldest[category][0]}"
                    f" where {oldest[category][1]} < ?::TIMESTAMPTZ - to_days(?)",
                    ["2027-11-01 00:00:00+00", days],
                ).fetchone()[0]
            ]
            log = connection.execute(
                "select run_id, request_id, table_name, rows_removed from ingest.erasure_log"
                " order by all"
            ).fetchall()
            early, late = connection.execute(
                "select coalesce(sum(active_users) filter (where activity_date < '2026-10-02'), 0),"
                " coalesce(sum(active_users) filter (where activity_date >= '2026-10-02'), 0)"
                " from growth.daily_active_users"
            ).fetchone()
        assert breaches == []
        # one audit row per category and table checked, under the Dagster run's id
        assert log == sorted(
            [
                (first.run_id, "retention:billing_records", "invoices", 0),
                (first.run_id, "retention:marketing_contacts", "campaign_targets",
                 expected["campaign_targets"]),
                (first.run_id, "retention:support_conversations", "support_tickets", 0),
                (first.run_id, "retention:usage_events", "events", expected["events"]),
                (first.run_id, "retention:usage_events", "feature_usage",
                 expected["feature_usage"]),
            ]
        )  # fmt: skip
        assert _materialised(instance, first.run_id) == {
            f"raw/{table}": {"rows_removed": expected[table], "values_emptied": 0}
            for table in expected
        }
        rebuilds = instance.get_runs(RunsFilter(tags={"nexus/requested_by_run": first.run_id}))
        assert {r.status for r in rebuilds} == {dg.DagsterRunStatus.SUCCESS} and rebuilds
        assert early == 0 and late > 0  # the derived tables were rebuilt from what is left
        before = _contents(warehouse, {"raw", "growth", "revenue"})

        # the same purge again removes nothing: audited with 0 rows, nothing recorded or rebuilt
        second = job.execute_in_process(
            run_config=request.run_config, instance=instance, tags=request.tags
        )
        with duckdb.connect(str(warehouse), read_only=True) as connection:
            again = connection.execute(
                "select table_name, rows_removed from ingest.erasure_log where run_id = ?"
                " order by all",
                [second.run_id],
            ).fetchall()
        assert again == [
            ("campaign_targets", 0), ("events", 0), ("feature_usage", 0), ("invoices", 0),
            ("support_tickets", 0),
        ]  # fmt: skip
        assert _materialised(instance, second.run_id) == {}
        assert instance.get_runs(RunsFilter(tags={"nexus/requested_by_run": second.run_id})) == []
        assert _contents(warehouse, {"raw", "growth", "revenue"}) == before
