"""Validated ingestion: real DuckDB files, small hand-made landing files, exact outcomes."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from nexus_pipelines.contract import load_contract
from nexus_pipelines.ingest import (
    IngestReport,
    ensure_ingest_tables,
    file_digest,
    ingest_files,
    ingest_lock,
    list_landing_files,
    lock_path,
    table_for_path,
)
from nexus_pipelines.settings import Settings, load_settings
from nexus_pipelines.warehouse import Warehouse

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
USERS = load_contract()["users"].column_names


def user(user_id: Any = 1, **overrides: Any) -> dict[str, Any]:
    """A valid users row; override a column to break one rule."""
    row = {
        "user_id": user_id,
        "signup_at": "2024-03-01T09:30:00Z",
        "acquisition_channel": "organic",
        "referrer_user_id": None,
        "plan": "free",
        "segment": "smb",
        "country": "FR",
        "product_id": "p1",
    }
    row.update(overrides)
    return row


def write_csv(path: Path, rows: list[dict[str, Any]], columns: list[str] | None = None) -> Path:
    """CSV with a header; None is an empty field."""
    columns = columns or list(rows[0])
    lines = [",".join(columns)]
    lines += [",".join("" if row.get(c) is None else str(row[c]) for c in columns) for row in rows]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_parquet(path: Path, select: str) -> Path:
    """Parquet written by DuckDB from a SELECT, so its column types are real Parquet types."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect() as scratch:
        scratch.execute("set TimeZone = 'UTC'")
        scratch.execute(f"copy ({select}) to '{path}' (format parquet)")
    return path


@pytest.fixture
def connection(warehouse: Warehouse) -> Iterator[duckdb.DuckDBPyConnection]:
    with warehouse.get_connection() as connection:
        yield connection


@pytest.fixture
def landing(project_env: Settings) -> Path:
    return project_env.landing_dir


@pytest.fixture
def ingest(
    connection: duckdb.DuckDBPyConnection, landing: Path, project_env: Settings
) -> Callable[..., IngestReport]:
    """Ingest paths at NOW and check, for every file, that the counts and the log reconcile
    (a skipped file is not logged)."""
    ensure_ingest_tables(connection)

    def logged_files() -> int:
        return rows(connection, "select count(*) from ingest.ingestion_log")[0][0]

    def run(*paths: Path) -> IngestReport:
        before = logged_files()
        report = ingest_files(connection, list(paths), landing, project_env, now=NOW)
        read = [result for result in report.files if result.status != "skipped"]
        assert logged_files() == before + len(read)
        for result in report.files:
            assert result.rows_in == result.loaded + result.quarantined + result.duplicates
        for result in read:
            logged = connection.execute(
                "select status, rows_in, loaded, quarantined, duplicates, replaced, error"
                " from ingest.ingestion_log where sha256 is not distinct from ? and file_path = ?"
                " order by finished_at desc limit 1",
                [result.sha256, result.path.relative_to(landing).as_posix()],
            ).fetchone()
            assert logged == (
                result.status,
                result.rows_in,
                result.loaded,
                result.quarantined,
                result.duplicates,
                result.replaced,
                result.error,
            )
        return report

    return run


def rows(connection: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
    return connection.execute(sql).fetchall()


def quarantine(connection: duckdb.DuckDBPyConnection) -> list[tuple]:
    return rows(
        connection,
        "select row_number, column_name, rule, reason from ingest.quarantine"
        " order by row_number, column_name",
    )


def counts(report: IngestReport) -> list[tuple]:
    return [
        (r.status, r.rows_in, r.loaded, r.quarantined, r.duplicates, r.replaced)
        for r in report.files
    ]


# ---------------------------------------------------------------------------- clean loads


def test_clean_csv_loads_every_row(connection, landing, ingest):
    path = write_csv(landing / "users.csv", [user(1), user(2, referrer_user_id=1)])
    report = ingest(path)
    assert counts(report) == [("loaded", 2, 2, 0, 0, 0)]
    assert report.tables_touched == {"users"}
    assert rows(
        connection, "select user_id, referrer_user_id, signup_at from raw.users order by 1"
    ) == [
        (1, None, datetime(2024, 3, 1, 9, 30, tzinfo=UTC)),
        (2, 1, datetime(2024, 3, 1, 9, 30, tzinfo=UTC)),
    ]
    assert quarantine(connection) == []
    assert path.exists()  # loaded files stay where they are


def test_clean_parquet_loads_typed_columns_in_any_order(connection, landing, ingest):
    path = write_parquet(
        landing / "invoices" / "part-00000.parquet",
        "select 'inv-' || i as invoice_id, 12.5::DECIMAL(10,2) as tax_amount, i as customer_id,"
        " timestamp '2024-05-01 10:00:00' + to_days(i::INTEGER) as issued_at,"
        " 'subscription' as kind, 100.25::DOUBLE as amount from range(1, 4) t(i)",
    )
    report = ingest(path)
    assert counts(report) == [("loaded", 3, 3, 0, 0, 0)]
    assert rows(connection, "select * from raw.invoices order by invoice_id limit 1") == [
        (
            "inv-1",
            1,
            datetime(2024, 5, 2, 10, 0, tzinfo=UTC),
            "subscription",
            Decimal("100.25"),
            Decimal("12.50"),
        )
    ]


# ------------------------------------------------------------------------ whole-file rejects


def assert_rejected(landing: Path, report: IngestReport, relative: str, *fragments: str) -> None:
    """Rejected, moved to _rejected/<relative> with an error file, error naming the file."""
    [result] = report.files
    assert (result.status, result.rows_in, result.loaded) == ("rejected", 0, 0)
    assert result.error is not None
    for fragment in (relative, *fragments):
        assert fragment in result.error
    moved = landing / "_rejected" / relative
    assert result.moved_to == moved
    assert moved.is_file()
    assert not (landing / relative).exists()
    assert result.error in (moved.parent / (moved.name + ".error.txt")).read_text()


def test_missing_column_rejects_the_file(connection, landing, ingest):
    columns = [c for c in USERS if c != "acquisition_channel"]
    report = ingest(write_csv(landing / "users.csv", [user(1)], columns))
    assert_rejected(landing, report, "users.csv", "missing column(s) acquisition_channel")
    assert rows(connection, "select count(*) from raw.users") == [(0,)]
    assert quarantine(connection) == []


def test_extra_column_rejects_the_file(landing, ingest):
    report = ingest(write_csv(landing / "users.csv", [user(1, nickname="z")]))
    assert_rejected(landing, report, "users.csv", "extra column(s) 'nickname'")


def test_column_names_are_case_sensitive(landing, ingest):
    columns = ["User_ID", *USERS[1:]]
    report = ingest(
        write_csv(landing / "users.csv", [user(1)], USERS),
        write_csv(landing / "users" / "b.csv", [dict(user(2), User_ID=2)], columns),
    )
    assert report.files[0].status == "loaded"
    assert report.files[1].error == (
        "users/b.csv does not match the contract of raw.users: missing column(s) user_id; "
        "extra column(s) 'User_ID' (column names are case-sensitive)"
    )


def test_empty_file_is_rejected(landing, ingest):
    path = landing / "users.csv"
    path.write_bytes(b"")
    assert_rejected(landing, ingest(path), "users.csv", "is empty (0 bytes)")


def test_truncated_parquet_is_rejected(landing, ingest):
    path = write_parquet(landing / "events" / "part-00000.parquet", "select 1 as event_id")
    path.write_bytes(path.read_bytes()[:-20])
    report = ingest(path)
    assert_rejected(landing, report, "events/part-00000.parquet", "cannot be read as Parquet")


def test_unknown_table_and_extension_are_rejected(landing, ingest):
    customers = write_csv(landing / "customers.csv", [{"id": 1}])
    notes = landing / "notes.txt"
    notes.write_text("hello")
    report = ingest(customers, notes)
    assert [r.error for r in report.files] == [
        "customers.csv: there is no table 'customers' in the raw contract",
        "notes.txt: only .csv and .parquet files can be ingested",
    ]
    assert (landing / "_rejected" / "notes.txt.error.txt").is_file()
    assert report.tables_touched == set()


def test_csv_header_not_utf8_is_rejected(landing, ingest):
    path = landing / "users.csv"
    path.write_bytes(",".join([*USERS[:-1], "produ\xe9t_id"]).encode("latin-1") + b"\n")
    assert_rejected(landing, ingest(path), "users.csv", "is not UTF-8 encoded")


def test_csv_entirely_not_utf8_is_rejected_whole(connection, landing, ingest):
    path = landing / "users.csv"
    text = write_csv(path, [user(1, plan="entrepr\xe9neur"), user(2, country="C\xf4te")])
    text.write_bytes(text.read_text().encode("latin-1"))
    report = ingest(path)
    assert_rejected(
        landing,
        report,
        "users.csv",
        "none of its 2 data rows is valid UTF-8 (first at row 1, column plan)",
    )
    assert quarantine(connection) == []


# ------------------------------------------------------------------------ row-level checks


def test_wrong_types_are_quarantined_with_file_row_and_column(connection, landing, ingest):
    path = write_csv(
        landing / "users.csv",
        [user(1), user("abc"), user(3, referrer_user_id="1.5"), user(4, signup_at="yesterday")],
    )
    report = ingest(path)
    assert counts(report) == [("loaded", 4, 1, 3, 0, 0)]
    assert quarantine(connection) == [
        (2, "user_id", "type", "users.csv row 2, column user_id: 'abc' cannot be read as BIGINT"),
        (
            3,
            "referrer_user_id",
            "type",
            "users.csv row 3, column referrer_user_id: '1.5' cannot be read as BIGINT",
        ),
        (
            4,
            "signup_at",
            "type",
            "users.csv row 4, column signup_at: 'yesterday' cannot be read as TIMESTAMPTZ",
        ),
    ]
    assert rows(connection, "select user_id from raw.users") == [(1,)]


# What rows 1 (no user_id) and 2 (no acquisition_channel) of users.csv are quarantined for.
EMPTY_KEY_AND_REQUIRED_VALUE = [
    (1, "user_id", "key", "users.csv row 1, column user_id: is empty but it is part of the key"),
    (
        2,
        "acquisition_channel",
        "required",
        "users.csv row 2, column acquisition_channel: is empty but the column is required",
    ),
]


def test_null_key_and_required_value_are_quarantined(connection, landing, ingest):
    report = ingest(
        write_csv(landing / "users.csv", [user(None), user(2, acquisition_channel=None)])
    )
    assert counts(report) == [("loaded", 2, 0, 2, 0, 0)]
    assert quarantine(connection) == EMPTY_KEY_AND_REQUIRED_VALUE


def test_range_allowed_and_dates_are_checked(connection, landing, ingest):
    path = write_csv(
        landing / "users.csv",
        [
            user(1, signup_at="2099-01-01"),
            user(2, signup_at="2023-12-31T22:00:00Z"),
            user(3, segment="consumer"),
            user(4, referrer_user_id=0),
            user(5, signup_at="2025-06-01T12:09:00Z"),  # within the 10-minute clock tolerance
        ],
    )
    report = ingest(path)
    assert counts(report) == [("loaded", 5, 1, 4, 0, 0)]
    assert [reason for *_, reason in quarantine(connection)] == [
        "users.csv row 1, column signup_at: '2099-01-01' is in the future "
        "(later than 2025-06-01T12:10:00+00:00)",
        "users.csv row 2, column signup_at: '2023-12-31T22:00:00Z' is before the founding date "
        "2024-01-01 (founded_on in assets/company.yaml; set NEXUS_FOUNDED_ON or edit that file "
        "if the company's data starts earlier)",
        "users.csv row 3, column segment: 'consumer' is not one of "
        "self_serve, smb, mid_market, enterprise, unknown",
        "users.csv row 4, column referrer_user_id: '0' is below the minimum 1",
    ]


def test_negative_money_is_quarantined(connection, landing, ingest):
    path = write_csv(
        landing / "marketing_spend.csv",
        [
            {"spend_id": "s1", "spend_date": "2024-02-01", "channel": None, "amount": "10.50"},
            {"spend_id": "s2", "spend_date": "2024-02-01", "channel": "ads", "amount": "-0.01"},
        ],
        ["spend_id", "spend_date", "channel", "campaign", "amount"],
    )
    report = ingest(path)
    assert counts(report) == [("loaded", 2, 1, 1, 0, 0)]
    assert quarantine(connection) == [
        (
            2,
            "amount",
            "range",
            "marketing_spend.csv row 2, column amount: '-0.01' is below the minimum 0",
        )
    ]
    assert rows(connection, "select spend_id, amount::VARCHAR from raw.marketing_spend") == [
        ("s1", "10.50")
    ]


def test_future_ok_lifts_only_the_future_rule(connection, landing, ingest):
    columns = ["month", "category", "amount"]
    path = write_csv(
        landing / "budgets.csv",
        [
            {"month": "2030-01-01", "category": "tools", "amount": 5},
            {"month": "2023-01-01", "category": "tools", "amount": 5},
        ],
        columns,
    )
    assert counts(ingest(path)) == [("loaded", 2, 1, 1, 0, 0)]
    assert [rule for _, _, rule, _ in quarantine(connection)] == ["too_early"]


def test_a_row_failing_several_checks_counts_once(connection, landing, ingest):
    bad = user(1, signup_at="2099-01-01", segment="x", acquisition_channel=None)
    report = ingest(write_csv(landing / "users.csv", [bad, user(2)]))
    assert counts(report) == [("loaded", 2, 1, 1, 0, 0)]
    assert [(row, column) for row, column, *_ in quarantine(connection)] == [
        (1, "acquisition_channel"),
        (1, "segment"),
        (1, "signup_at"),
    ]


def test_uncastable_parquet_column_quarantines_rows(connection, landing, ingest):
    path = write_parquet(
        landing / "events.parquet",
        "select i as event_id, {'id': i} as user_id, 'x' as event_name, 'p1' as product_id,"
        " timestamptz '2024-02-01 00:00:00+00' as occurred_at from range(1, 3) t(i)",
    )
    report = ingest(path)
    assert counts(report) == [("loaded", 2, 0, 2, 0, 0)]
    assert quarantine(connection)[0] == (
        1,
        "user_id",
        "type",
        "events.parquet row 1, column user_id: '{'id': 1}' has Parquet type STRUCT(id BIGINT),"
        " which cannot be read as BIGINT",
    )


def test_parquet_double_must_be_integral_for_a_bigint(connection, landing, ingest):
    path = write_parquet(
        landing / "events.parquet",
        "select i::DOUBLE / 2 as event_id, 7 as user_id, 'x' as event_name, 'p1' as product_id,"
        " timestamptz '2024-02-01 00:00:00+00' as occurred_at from range(1, 5) t(i)",
    )
    assert counts(ingest(path)) == [("loaded", 4, 2, 2, 0, 0)]
    assert rows(connection, "select event_id from raw.events order by 1") == [(1,), (2,)]


# ------------------------------------------------------------------ unreadable CSV records


def test_short_and_long_lines_are_quarantined_and_later_rows_keep_their_number(
    connection, landing, ingest
):
    path = write_csv(landing / "users.csv", [user(1), user(2), user(3), user(4, segment="x")])
    lines = path.read_text().splitlines()
    lines[2] = "2,2024-03-01,organic"  # row 2: too few values
    lines[3] += ",surplus"  # row 3: too many values
    path.write_text("\n".join(lines) + "\n")
    report = ingest(path)
    assert counts(report) == [("loaded", 4, 1, 3, 0, 0)]
    assert quarantine(connection) == [
        (
            2,
            "referrer_user_id",
            "unreadable",
            "users.csv row 2, column referrer_user_id: the line has too few values "
            "(expected 8, found 3)",
        ),
        (
            3,
            None,
            "unreadable",
            "users.csv row 3: the line has too many values (expected 8, found 9)",
        ),
        (
            4,
            "segment",
            "allowed",
            "users.csv row 4, column segment: 'x' is not one of "
            "self_serve, smb, mid_market, enterprise, unknown",
        ),
    ]
    value = rows(connection, "select value from ingest.quarantine where row_number = 2")
    assert value == [("2,2024-03-01,organic",)]


def test_row_numbers_stay_exact_around_many_unreadable_lines(connection, landing, ingest):
    short, bad_segment = {2, 3, 6, 11}, {1, 4, 5, 7, 10, 12}
    path = write_csv(
        landing / "users.csv",
        [user(n, segment="x" if n in bad_segment else "smb") for n in range(1, 13)],
    )
    lines = path.read_text().splitlines()
    for n in short:
        lines[n] = f"{n},2024-03-01"
    path.write_text("\n".join(lines) + "\n")
    report = ingest(path)
    assert counts(report) == [("loaded", 12, 2, 10, 0, 0)]
    found = {(row, rule) for row, _, rule, _ in quarantine(connection)}
    assert found == {(n, "unreadable") for n in short} | {(n, "allowed") for n in bad_segment}
    assert rows(connection, "select user_id from raw.users order by 1") == [(8,), (9,)]


def test_rows_that_are_not_utf8_are_quarantined(connection, landing, ingest):
    path = write_csv(landing / "users.csv", [user(1), user(2, country="C\xf4te"), user(3)])
    path.write_bytes(path.read_text().encode("latin-1"))
    report = ingest(path)
    assert counts(report) == [("loaded", 3, 2, 1, 0, 0)]
    assert quarantine(connection) == [
        (
            2,
            "country",
            "encoding",
            "users.csv row 2, column country: is not valid UTF-8 (the file must be UTF-8 encoded)",
        )
    ]
    assert rows(connection, "select user_id from raw.users order by 1") == [(1,), (3,)]


# ------------------------------------------------------------------------------------ keys


def test_duplicate_key_within_a_file_keeps_the_last_row(connection, landing, ingest):
    path = write_csv(
        landing / "users.csv",
        [user(1, plan="free"), user(2), user(1, plan="pro"), user(1, plan="business")],
    )
    assert counts(ingest(path)) == [("loaded", 4, 2, 0, 2, 0)]
    assert rows(connection, "select user_id, plan from raw.users order by 1") == [
        (1, "business"),
        (2, "free"),
    ]


def test_duplicate_key_across_files_latest_wins(connection, landing, ingest):
    first = write_csv(landing / "users" / "a.csv", [user(1, plan="free"), user(2)])
    second = write_parquet(
        landing / "users" / "b.parquet",
        "select 1 as user_id, timestamptz '2024-04-01 00:00:00+00' as signup_at,"
        " 'referral' as acquisition_channel, 2 as referrer_user_id, 'pro' as plan,"
        " 'smb' as segment, 'DE' as country, 'p1' as product_id",
    )
    report = ingest(first, second)
    assert counts(report) == [("loaded", 2, 2, 0, 0, 0), ("loaded", 1, 1, 0, 0, 1)]
    assert rows(connection, "select user_id, plan, country from raw.users order by 1") == [
        (1, "pro", "DE"),
        (2, "free", "FR"),
    ]


def test_a_quarantined_row_never_replaces_a_loaded_one(connection, landing, ingest):
    ingest(write_csv(landing / "users" / "a.csv", [user(1, plan="free")]))
    report = ingest(write_csv(landing / "users" / "b.csv", [user(1, acquisition_channel=None)]))
    assert counts(report) == [("loaded", 1, 0, 1, 0, 0)]
    assert rows(connection, "select user_id, plan from raw.users") == [(1, "free")]


def test_composite_key_replaces_only_the_same_pair(connection, landing, ingest):
    columns = ["month", "category", "amount"]
    first = write_csv(
        landing / "budgets" / "a.csv",
        [
            {"month": "2024-01-01", "category": "tools", "amount": 1},
            {"month": "2024-01-01", "category": "team", "amount": 2},
        ],
        columns,
    )
    second = write_csv(
        landing / "budgets" / "b.csv",
        [{"month": "2024-01-01", "category": "tools", "amount": 3}],
        columns,
    )
    assert counts(ingest(first, second))[1] == ("loaded", 1, 1, 0, 0, 1)
    assert rows(connection, "select category, amount::INTEGER from raw.budgets order by 1") == [
        ("team", 2),
        ("tools", 3),
    ]


# ---------------------------------------------------------------------------- idempotence


def test_reingesting_the_same_content_changes_nothing(connection, landing, ingest):
    path = write_csv(landing / "users.csv", [user(1), user(2, segment="bad"), user(1, plan="pro")])
    ingest(path)
    snapshot = [
        rows(connection, f"select * from {table} order by all")
        for table in ("raw.users", "ingest.quarantine")
    ]
    copy = landing / "users" / "again.csv"
    copy.parent.mkdir()
    copy.write_bytes(path.read_bytes())
    report = ingest(path, copy)
    assert counts(report) == [("skipped", 0, 0, 0, 0, 0)] * 2
    assert report.files[1].error is not None
    assert report.files[1].error.startswith("users/again.csv has the same content as users.csv")
    assert report.tables_touched == set()
    assert snapshot == [
        rows(connection, f"select * from {table} order by all")
        for table in ("raw.users", "ingest.quarantine")
    ]
    assert rows(connection, "select status from ingest.ingestion_log") == [("loaded",)]


# ------------------------------------------------------------------------- landing folder


def test_landing_listing_and_routing(landing):
    for name in [
        "users.csv",
        "events/part-00000.parquet",
        "events/2024/part-00001.csv",
        "notes.txt",
        ".hidden.csv",
        "users.csv.tmp",
        "events/_SUCCESS",
        "_rejected/users.csv",
    ]:
        (landing / name).parent.mkdir(parents=True, exist_ok=True)
        (landing / name).write_text("x")
    listed = [path.relative_to(landing).as_posix() for path in list_landing_files(landing)]
    assert listed == [
        "events/2024/part-00001.csv",
        "events/part-00000.parquet",
        "notes.txt",
        "users.csv",
    ]
    assert [table_for_path(landing / name, landing) for name in listed] == [
        "events",
        "events",
        None,
        "users",
    ]
    assert table_for_path(landing / "customers" / "a.csv", landing) is None
    assert list_landing_files(landing / "missing") == []


def test_file_digest_is_the_sha256_of_the_bytes(tmp_path):
    path = tmp_path / "blob.bin"
    path.write_bytes(b"nexus" * 1_000_000)
    assert file_digest(path) == hashlib.sha256(b"nexus" * 1_000_000).hexdigest()


# ---------------------------------------------------------------- issue 8: ingestion gaps


def ingest_into(
    connection: duckdb.DuckDBPyConnection, landing: Path, settings: Settings, *paths: Path
) -> IngestReport:
    """ingest_files on any landing folder; every file's counts must reconcile."""
    report = ingest_files(connection, list(paths), landing, settings, now=NOW)
    for result in report.files:
        assert result.rows_in == result.loaded + result.quarantined + result.duplicates
    return report


@pytest.mark.parametrize("folder", ["landing", "landing [a*]"])
def test_file_names_with_glob_characters_read_exactly_that_file(
    connection, tmp_path, project_env, folder
):
    landing = tmp_path / folder  # nor is the folder's own name a glob
    star = write_csv(landing / "users" / "a*.csv", [user(n) for n in range(1, 301)])
    neighbour = write_csv(landing / "users" / "ab.csv", [user(n) for n in range(301, 601)])
    row = (
        "timestamptz '2024-04-01 00:00:00+00' as signup_at, 'organic' as acquisition_channel,"
        " NULL::BIGINT as referrer_user_id, 'free' as plan, 'smb' as segment, 'FR' as country,"
        " 'p1' as product_id"
    )
    p1 = write_parquet(
        landing / "users" / "p1.parquet", f"select i as user_id, {row} from range(601, 701) t(i)"
    )
    bracket = write_parquet(
        landing / "users" / "p[12].parquet",
        f"select i as user_id, {row} from range(701, 751) t(i)",
    )
    report = ingest_into(connection, landing, project_env, star, neighbour, p1, bracket)
    assert counts(report) == [
        ("loaded", 300, 300, 0, 0, 0),
        ("loaded", 300, 300, 0, 0, 0),
        ("loaded", 100, 100, 0, 0, 0),
        ("loaded", 50, 50, 0, 0, 0),
    ]
    assert rows(connection, "select count(*), min(user_id), max(user_id) from raw.users") == [
        (750, 1, 750)
    ]
    assert rows(connection, "select sha256 from ingest.ingestion_log order by file_path") == [
        (file_digest(path),) for path in (star, neighbour, p1, bracket)
    ]


def test_a_caller_may_take_the_ingest_lock_before_it_connects(warehouse, landing, project_env):
    """Re-entrant: the caller holds it while it connects, ingest_files takes it again."""
    path = write_csv(landing / "users.csv", [user(1)])
    with ingest_lock(project_env), warehouse.get_connection() as connection:
        holder = json.loads(lock_path(project_env).read_text())
        report = ingest_files(connection, [path], landing, project_env, now=NOW)
    assert counts(report) == [("loaded", 1, 1, 0, 0, 0)]
    assert holder["pid"] == os.getpid()
    assert lock_path(project_env).parent == project_env.duckdb_path.parent


def test_surrounding_whitespace_is_trimmed_from_text_values(connection, landing, ingest):
    columns = load_contract()["support_tickets"].column_names
    ticket = {
        "user_id": 1,
        "created_at": "2024-03-01T09:30:00Z",
        "category": "bug",
        "reopened_count": 0,
    }
    path = write_csv(
        landing / "support_tickets.csv",
        [
            dict(ticket, ticket_id="tkt_0001", priority="normal"),
            dict(ticket, ticket_id=" tkt_0001 ", priority=" high "),
            dict(ticket, ticket_id="\ttkt_0002", priority="urgent\t", created_at=" 2024-03-02 "),
        ],
        columns,
    )
    assert counts(ingest(path)) == [("loaded", 3, 2, 0, 1, 0)]
    assert rows(
        connection,
        "select ticket_id, priority, created_at::DATE from raw.support_tickets order by 1",
    ) == [
        ("tkt_0001", "high", datetime(2024, 3, 1).date()),
        ("tkt_0002", "urgent", datetime(2024, 3, 2).date()),
    ]


def test_a_value_that_is_only_whitespace_is_empty(connection, landing, ingest):
    path = write_csv(
        landing / "users.csv",
        [user("  "), user(2, acquisition_channel=" \t "), user(3, referrer_user_id="  ")],
    )
    assert counts(ingest(path)) == [("loaded", 3, 1, 2, 0, 0)]
    assert quarantine(connection) == EMPTY_KEY_AND_REQUIRED_VALUE
    assert rows(connection, "select user_id, referrer_user_id from raw.users") == [(3, None)]


def test_money_with_more_decimals_than_the_currency_is_quarantined(connection, landing, ingest):
    columns = ["spend_id", "spend_date", "channel", "campaign", "amount"]
    spend = {"spend_date": "2024-02-01", "channel": "ads"}
    path = write_csv(
        landing / "marketing_spend" / "a.csv",
        [
            dict(spend, spend_id="s1", amount="12.345"),
            dict(spend, spend_id="s2", amount="12.340"),
            dict(spend, spend_id="s3", amount="7"),
        ],
        columns,
    )
    parquet = write_parquet(
        landing / "marketing_spend" / "b.parquet",
        "select * from (values ('s4', 1.005::DECIMAL(10, 3)), ('s5', 19.99::DOUBLE),"
        " ('s6', 0.125::DOUBLE)) t(spend_id, amount)"
        " cross join (select date '2024-02-01' as spend_date, 'ads' as channel,"
        " NULL::VARCHAR as campaign)",
    )
    assert counts(ingest(path, parquet)) == [
        ("loaded", 3, 2, 1, 0, 0),
        ("loaded", 3, 1, 2, 0, 0),
    ]
    reason = "has more than 2 decimals, more than EUR amounts carry (it would be rounded)"
    assert [(row, rule, text) for row, _, rule, text in quarantine(connection)] == [
        (1, "decimals", f"marketing_spend/a.csv row 1, column amount: '12.345' {reason}"),
        (1, "decimals", f"marketing_spend/b.parquet row 1, column amount: '1.005' {reason}"),
        (3, "decimals", f"marketing_spend/b.parquet row 3, column amount: '0.125' {reason}"),
    ]
    assert rows(
        connection, "select spend_id, amount::VARCHAR from raw.marketing_spend order by 1"
    ) == [("s2", "12.34"), ("s3", "7.00"), ("s5", "19.99")]


def test_parquet_with_a_repeated_column_names_it(landing, ingest):
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = landing / "users" / "dup.parquet"
    path.parent.mkdir()
    values = {name: pa.array([str(value)]) for name, value in user(1).items()}
    pq.write_table(
        pa.Table.from_arrays([*values.values(), values["plan"]], names=[*values, "plan"]), path
    )
    report = ingest(path)
    assert_rejected(landing, report, "users/dup.parquet", "repeats column(s) plan")
    assert "plan_1" not in (report.files[0].error or "")


def test_reingesting_many_files_logs_only_the_files_read(connection, landing, ingest):
    paths = [write_csv(landing / "users" / f"{n:02}.csv", [user(n)]) for n in range(1, 51)]
    assert [r.status for r in ingest(*paths).files] == ["loaded"] * 50
    again = ingest(*paths)
    assert [r.status for r in again.files] == ["skipped"] * 50
    assert again.summary().startswith("50 files (0 loaded, 0 rejected, 50 skipped)")
    assert rows(connection, "select status, count(*) from ingest.ingestion_log group by 1") == [
        ("loaded", 50)
    ]


def test_pre_founding_rows_name_the_setting_to_change(connection, landing, monkeypatch):
    path = write_csv(landing / "users.csv", [user(1, signup_at="2023-12-31T23:00:00Z")])
    report = ingest_into(connection, landing, load_settings(), path)
    assert counts(report) == [("loaded", 1, 0, 1, 0, 0)]
    monkeypatch.setenv("NEXUS_FOUNDED_ON", "2024-01-02")
    again = write_csv(landing / "users" / "b.csv", [user(2, signup_at="2024-01-01T12:00:00Z")])
    ingest_into(connection, landing, load_settings(), again)
    assert [reason for *_, reason in quarantine(connection)] == [
        "users.csv row 1, column signup_at: '2023-12-31T23:00:00Z' is before the founding date"
        " 2024-01-01 (founded_on in assets/company.yaml; set NEXUS_FOUNDED_ON or edit that file"
        " if the company's data starts earlier)",
        "users/b.csv row 1, column signup_at: '2024-01-01T12:00:00Z' is before the founding date"
        " 2024-01-02 (founded_on from NEXUS_FOUNDED_ON; change it if the company's data starts"
        " earlier)",
    ]


# ----------------------------------------------------------------- optional columns


def test_optional_columns_may_be_left_out_or_empty(connection, landing, ingest):
    required = ["user_id", "signup_at", "acquisition_channel"]
    left_out = write_csv(landing / "users" / "a.csv", [user(1)], required)
    empty = write_csv(
        landing / "users" / "b.csv",
        [user(2, plan=None, segment=None, country=None, product_id=None)],
    )
    assert counts(ingest(left_out, empty)) == [("loaded", 1, 1, 0, 0, 0)] * 2
    assert rows(
        connection,
        "select user_id, referrer_user_id, plan, segment, country, product_id from raw.users"
        " order by 1",
    ) == [(1, None, None, "unknown", None, "main"), (2, None, None, "unknown", None, "main")]


def test_other_optional_columns_take_their_defaults(connection, landing, ingest):
    at = "2024-02-01T00:00:00Z"
    period = {"subscription_id": "sub_1", "customer_id": 1, "monthly_amount": "10.00",
              "status": "active", "started_at": at, "ended_at": None}  # fmt: skip
    incident = {"incident_id": "inc_1", "severity": "P1", "service_id": "api", "detected_at": at,
                "acknowledged_at": None, "resolved_at": None, "caused_by_deployment_id": None,
                "postmortem_completed_at": None}  # fmt: skip
    deployment = {"deployment_id": "d1", "service_id": "api", "deployed_at": at,
                  "status": "success", "rolled_back": "false"}  # fmt: skip
    report = ingest(
        write_csv(landing / "subscription_periods.csv", [period]),
        write_csv(landing / "incidents.csv", [incident]),
        write_csv(landing / "deployments.csv", [deployment]),
    )
    assert counts(report) == [("loaded", 1, 1, 0, 0, 0)] * 3
    [(period_id, plan, interval)] = rows(
        connection, "select period_id, plan, billing_interval from raw.subscription_periods"
    )
    assert (len(period_id), plan, interval) == (32, "unknown", None)
    assert rows(connection, "select title from raw.incidents") == [(None,)]
    assert rows(connection, "select environment from raw.deployments") == [("production",)]


def events_table(connection: duckdb.DuckDBPyConnection) -> list[tuple]:
    return rows(connection, "select * from raw.events order by all")


def test_events_without_ids_get_stable_keys_from_their_content(
    connection, landing, ingest, tmp_path
):
    columns = ["user_id", "occurred_at", "event_name"]
    events = [
        {"user_id": 1, "occurred_at": "2024-02-01T10:00:00Z", "event_name": "session_start"},
        {"user_id": 1, "occurred_at": "2024-02-01T10:05:00Z", "event_name": "project_created"},
        {"user_id": 2, "occurred_at": "2024-02-01T10:00:00Z", "event_name": "session_start"},
        {"user_id": 1, "occurred_at": "2024-02-01T10:00:00Z", "event_name": "session_start"},
    ]
    first = write_csv(landing / "events" / "a.csv", events, columns)
    assert counts(ingest(first)) == [("loaded", 4, 3, 0, 1, 0)]  # the same event twice is one
    loaded = events_table(connection)
    assert len({event_id for event_id, *_ in loaded}) == 3
    assert all(event_id >= 1 for event_id, *_ in loaded)
    assert {product for *_, product in loaded} == {"main"}

    # The same events again, exported another way: the same keys, so the same table.
    second = write_parquet(
        landing / "events" / "b.parquet",
        "select * from (values ('session_start', timestamptz '2024-02-01 10:00:00+00', 2),"
        " ('project_created', timestamptz '2024-02-01 10:05:00+00', 1),"
        " ('session_start', timestamptz '2024-02-01 10:00:00+00', 1))"
        " t(event_name, occurred_at, user_id)",
    )
    assert counts(ingest(second)) == [("loaded", 3, 3, 0, 0, 3)]
    assert events_table(connection) == loaded

    # And in a fresh warehouse.
    with duckdb.connect(str(tmp_path / "fresh.duckdb")) as fresh:
        fresh.execute("set TimeZone = 'UTC'")
        fresh_landing = tmp_path / "fresh"
        copy = write_csv(fresh_landing / "events.csv", events, columns)
        ingest_into(fresh, fresh_landing, load_settings(), copy)
        assert events_table(fresh) == loaded
