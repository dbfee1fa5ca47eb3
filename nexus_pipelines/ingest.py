"""Validated ingestion of landing files into the `raw` schema.

Landing layout: `<landing>/<table>.csv|.parquet`, or any `.csv`/`.parquet` file at any depth inside
`<landing>/<table>/`. A path component starting with `.`, `_` or `~` (hidden files, `_rejected/`,
Spark's `_SUCCESS` and `_temporary/`) or a name ending in a temporary suffix (`.tmp`, `.part`,
`.crdownload`, ...) is not listed: writers should write under such a name and rename when done.
Every other file is ingested; one that no contract table accepts is rejected.

One ingest runs at a time per warehouse (`ingest_lock`); another waits, saying for whom.

Per file, in order:
1. Skip it if a file with the same sha256 was already loaded into the same table (idempotence),
   or if it is gone because an ingest rejected it and moved it aside. A skip is counted in the
   report, not written to `ingest.ingestion_log`, which keeps the files that were read.
2. Match its columns to the contract: exact names, case-sensitive (the contract and its reference
   say "exactly the table's columns"; a case-only difference is pointed out in the error), any
   order; a column with a default may be left out. A mismatch, a repeated name, an empty or
   unreadable file, or a CSV header that is not UTF-8 rejects the whole file: it moves to
   `<landing>/_rejected/<same relative path>` with `<name>.error.txt`.
3. Stage it in one temp table (CSV as text, Parquet as typed; text trimmed, blank text empty) and
   run every contract check as set-based SQL; a failing row goes to `ingest.quarantine`, one row
   per failed check. CSV records the reader cannot parse (not UTF-8, too few/many values,
   unterminated quote) are quarantined too. A CSV whose data rows are all not UTF-8 is rejected
   whole: it needs re-exporting. Row numbers count data rows from 1 (a CSV's line minus the
   header); a quoted value spanning lines or a blank line before a record the reader rejected
   shifts them by those lines. Then empty values of optional columns take their defaults.
4. In one transaction: delete the keys being replaced, insert the surviving rows (the last row of
   a key in the file wins; earlier ones count as duplicates; the rows of an erased user are
   skipped as suppressed, nexus_pipelines.erasure), write quarantine and log rows.

The file is read through the handle it was hashed from (`/dev/fd/<n>`), never by its name: DuckDB
expands `*`, `?` and `[...]` in a name, which would read its neighbours or another file instead.
"""

from __future__ import annotations

import csv
import fcntl
import hashlib
import json
import logging
import os
import socket
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from pathlib import Path
from typing import IO, Any

import duckdb

from nexus_pipelines.contract import (
    MONEY_SCALE,
    NUMERIC_TYPES,
    TEMPORAL_TYPES,
    Column,
    Table,
    load_contract,
)
from nexus_pipelines.erasure import (
    SUPPRESSION_TABLE,
    ensure_erasure_tables,
    erasure_salt,
    has_erased_subjects,
    subject_hash_sql,
)
from nexus_pipelines.settings import Settings
from nexus_pipelines.warehouse import transaction

REJECTED_DIR = "_rejected"
SUFFIXES = (".csv", ".parquet")
TEMP_SUFFIXES = (".tmp", ".temp", ".part", ".partial", ".crdownload", ".download", ".swp", "~")
STATUSES = ("loaded", "rejected", "skipped")  # skipped files are reported, not logged
LOCK_SUFFIX = ".ingest.lock"
COUNTS = ("rows_in", "loaded", "quarantined", "duplicates", "suppressed", "replaced")

_HEADER_LIMIT = 1 << 20  # a CSV header line longer than this is not a header
_VALUE_LIMIT = 1000  # characters of an offending value kept in ingest.quarantine
_MESSAGE_VALUE_LIMIT = 100  # ... and quoted in its message
_INTEGER_TYPES = {"BIGINT", "INTEGER"}
_INTEGER_SOURCES = {
    *("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT"),
    *("UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT"),
}
_TIMESTAMP_SOURCES = {"TIMESTAMP", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS", "DATE"}
# Parquet types cast straight to a contract type because no value can lose meaning on the way
# (try_cast still turns an overflow into a type failure); any other type is read through its text
# so that it obeys exactly the CSV rules (e.g. DOUBLE 1.5 is not a BIGINT).
_DIRECT_SOURCES = {
    "BIGINT": _INTEGER_SOURCES,
    "INTEGER": _INTEGER_SOURCES,
    "DOUBLE": _INTEGER_SOURCES | {"FLOAT"},
    "MONEY": _INTEGER_SOURCES | {"FLOAT", "DOUBLE"},
    "TIMESTAMPTZ": _TIMESTAMP_SOURCES,
}
_NESTED_PREFIXES = ("STRUCT", "MAP", "UNION", "BLOB")
# Trimmed from text values: a key " tkt_1 " is the key "tkt_1", and blank text is empty.
_WHITESPACE = "' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13)"
_LOG = logging.getLogger(__name__)

_STAGE = "_nexus_stage"
_ISSUES = "_nexus_issues"
_BAD = "_nexus_bad"
_VALID = "_nexus_valid"
_DUPLICATES = "_nexus_duplicates"
_SUPPRESSED = "_nexus_suppressed"
_REJECT_ERRORS = "_nexus_reject_errors"
_REJECT_SCANS = "_nexus_reject_scans"
_TEMP_TABLES = (_STAGE, _ISSUES, _BAD, _DUPLICATES, _SUPPRESSED, _REJECT_ERRORS, _REJECT_SCANS)

INGESTION_LOG_DDL = """
create table if not exists ingest.ingestion_log (
    file_path VARCHAR NOT NULL,
    table_name VARCHAR,
    sha256 VARCHAR,
    status VARCHAR NOT NULL CHECK (status IN ('loaded', 'rejected')),
    rows_in BIGINT NOT NULL,
    loaded BIGINT NOT NULL,
    quarantined BIGINT NOT NULL,
    duplicates BIGINT NOT NULL,
    replaced BIGINT NOT NULL,
    error VARCHAR,
    started_at TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ NOT NULL
)"""

QUARANTINE_DDL = """
create table if not exists ingest.quarantine (
    table_name VARCHAR NOT NULL,
    file_path VARCHAR NOT NULL,
    sha256 VARCHAR NOT NULL,
    row_number BIGINT NOT NULL,
    column_name VARCHAR,
    value VARCHAR,
    rule VARCHAR NOT NULL,
    reason VARCHAR NOT NULL,
    ingested_at TIMESTAMPTZ NOT NULL
)"""

# Rule and reason (SQL over DuckDB's reject table) for records the CSV reader could not parse.
_COUNT_DETAIL = (
    "' (' || regexp_replace(error_message, 'Expected Number of Columns: (\\d+) Found: (\\d+)',"
    " 'expected \\1, found \\2') || ')'"
)
_READER_REASONS = {
    "INVALID ENCODING": ("encoding", "'is not valid UTF-8 (the file must be UTF-8 encoded)'"),
    "MISSING COLUMNS": ("unreadable", "'the line has too few values' || " + _COUNT_DETAIL),
    "TOO MANY COLUMNS": ("unreadable", "'the line has too many values' || " + _COUNT_DETAIL),
    "UNQUOTED VALUE": ("unreadable", "'has an unterminated or misplaced quote'"),
    "LINE SIZE OVER MAXIMUM": ("unreadable", "'the line is too long'"),
}


@dataclass
class FileResult:
    """Outcome of one file; always rows_in = loaded + quarantined + duplicates + suppressed
    (rows of an erased user, nexus_pipelines.erasure)."""

    path: Path
    table: str | None
    sha256: str | None
    status: str
    rows_in: int = 0
    loaded: int = 0
    quarantined: int = 0
    duplicates: int = 0
    suppressed: int = 0
    replaced: int = 0
    error: str | None = None  # why it was rejected or skipped
    moved_to: Path | None = None  # where a rejected file now lives


@dataclass
class IngestReport:
    """Every file given, skipped ones included (the log keeps only the files read)."""

    files: list[FileResult] = field(default_factory=list)

    @property
    def tables_touched(self) -> set[str]:
        """Tables that received at least one row, i.e. whose downstream assets are stale."""
        return {result.table for result in self.files if result.table and result.loaded}

    def with_status(self, status: str) -> list[FileResult]:
        return [result for result in self.files if result.status == status]

    def totals(self) -> dict[str, int]:
        return {name: sum(getattr(result, name) for result in self.files) for name in COUNTS}

    def summary(self) -> str:
        """One line for the CLI and run metadata."""
        statuses = ", ".join(f"{len(self.with_status(status))} {status}" for status in STATUSES)
        totals = ", ".join(f"{value} {name}" for name, value in self.totals().items())
        return f"{len(self.files)} files ({statuses}); rows: {totals}"


class _Rejected(Exception):
    """The whole file is refused; the message names the file and why."""


# ------------------------------------------------------------------------------------- landing


def _relative(path: Path, landing_dir: Path) -> Path | None:
    try:
        return path.absolute().relative_to(landing_dir.absolute())
    except ValueError:
        return None


def _is_ignored(relative: Path) -> bool:
    """Hidden, underscore (`_rejected/`, `_SUCCESS`) and temporary names are never candidates."""
    if any(part.startswith((".", "_", "~")) for part in relative.parts):
        return True
    return relative.name.lower().endswith(TEMP_SUFFIXES)


def _label(path: Path, landing_dir: Path) -> str:
    """How messages name a file: its path inside the landing folder."""
    relative = _relative(path, landing_dir)
    return relative.as_posix() if relative is not None else str(path)


def _route(path: Path, landing_dir: Path) -> tuple[str | None, str | None]:
    """(table, None) for a file the contract accepts, else (None, why not)."""
    label = _label(path, landing_dir)
    relative = _relative(path, landing_dir)
    if relative is None:
        return None, f"{label} is not inside the landing folder {landing_dir}"
    if path.suffix.lower() not in SUFFIXES:
        return None, f"{label}: only .csv and .parquet files can be ingested"
    name = relative.parts[0] if len(relative.parts) > 1 else path.stem
    if name not in load_contract():
        return None, f"{label}: there is no table {name!r} in the raw contract"
    return name, None


def table_for_path(path: Path, landing_dir: Path) -> str | None:
    """The contract table a landing file feeds, None if none."""
    return _route(path, landing_dir)[0]


def list_landing_files(landing_dir: Path) -> list[Path]:
    """Candidate files, sorted; skips `_rejected/`, hidden and temporary files (module doc)."""
    if not landing_dir.is_dir():
        return []
    return sorted(
        path
        for path in landing_dir.rglob("*")
        if path.is_file() and not _is_ignored(path.relative_to(landing_dir))
    )


def file_digest(path: Path) -> str:
    """sha256 of the bytes, streamed: identical content is ingested once wherever it lives."""
    with path.open("rb") as handle:
        return _digest(handle)


def _digest(handle: IO[bytes]) -> str:
    digest = hashlib.sha256()
    while chunk := handle.read(1 << 20):
        digest.update(chunk)
    return digest.hexdigest()


def _duckdb_source(handle: IO[bytes]) -> str:
    """The open file as a name DuckDB does not expand as a glob (module doc), from its start."""
    handle.seek(0)
    return f"/dev/fd/{handle.fileno()}"


def _reject_file(path: Path, landing_dir: Path, error: str, when: datetime) -> Path | None:
    """Move a refused file aside (replacing an earlier reject of the same name) with its error."""
    relative = _relative(path, landing_dir)
    if relative is None or relative.parts[0] == REJECTED_DIR or not path.is_file():
        return None  # not ours to move, or already aside
    target = landing_dir / REJECTED_DIR / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(path, target)
    target.with_name(target.name + ".error.txt").write_text(
        f"{error}\nrejected at {when.isoformat(timespec='seconds')}\n", encoding="utf-8"
    )
    return target


# ------------------------------------------------------------------------------------- lock

_LOCAL_LOCKS: dict[Path, threading.RLock] = {}
_HELD: set[Path] = set()


def lock_path(settings: Settings) -> Path:
    """The ingest lock file, beside the warehouse; it names its holder."""
    return settings.duckdb_path.with_name(settings.duckdb_path.name + LOCK_SUFFIX)


def _holder(path: Path) -> str:
    try:
        holder = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):  # gone, or being rewritten by a new holder
        holder = {}
    return (
        f"another ingest has held the warehouse since {holder.get('since', 'a moment ago')}"
        f" (pid {holder.get('pid', '?')} on {holder.get('host', '?')}:"
        f" {holder.get('command', '?')})"
    )


@contextmanager
def ingest_lock(settings: Settings) -> Iterator[None]:
    """One ingest at a time per warehouse, for every caller (CLI, Dagster, tests).

    An OS lock (flock), so a crashed holder never leaves it behind; another process waits for it
    and says whom it waits for. Re-entrant in the thread that holds it, so a caller can take it
    before it connects (a waiting ingest then does not hold DuckDB's own lock) and ingest_files
    takes it again."""
    path = lock_path(settings)
    with _LOCAL_LOCKS.setdefault(path, threading.RLock()):
        if path in _HELD:
            yield
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a+", encoding="utf-8") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                _LOG.warning(f"{_holder(path)}; waiting for it to finish")
                fcntl.flock(handle, fcntl.LOCK_EX)
            handle.truncate(0)
            json.dump(
                {
                    "pid": os.getpid(),
                    "host": socket.gethostname(),
                    "since": f"{datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC",
                    "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
                },
                handle,
            )
            handle.flush()
            _HELD.add(path)
            try:
                yield
            finally:
                _HELD.discard(path)


# ---------------------------------------------------------------------------------- warehouse


def ensure_ingest_tables(connection: duckdb.DuckDBPyConnection) -> None:
    """Create every raw table of the contract and the ingest bookkeeping tables (idempotent)."""
    connection.execute("create schema if not exists raw")
    connection.execute("create schema if not exists ingest")
    for table in load_contract().values():
        connection.execute(table.ddl())
    connection.execute(INGESTION_LOG_DDL)
    # added with erasure: a warehouse logged before it has the column added, its rows 0
    connection.execute(
        "alter table ingest.ingestion_log add column if not exists suppressed BIGINT default 0"
    )
    connection.execute(QUARANTINE_DDL)
    ensure_erasure_tables(connection)


def _drop_temp_objects(connection: duckdb.DuckDBPyConnection) -> None:
    connection.execute(f"drop view if exists {_VALID}")
    for name in _TEMP_TABLES:
        connection.execute(f"drop table if exists {name}")


def _scalar(connection: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] = ()) -> Any:
    row = connection.execute(sql, list(params)).fetchone()
    return row[0] if row else None


# ------------------------------------------------------------------------------------ staging


def _match_columns(label: str, table: Table, names: list[str]) -> None:
    """Reject unless the file has the contract's columns, in any order, optional ones or not."""
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise _Rejected(f"{label} repeats column(s) {', '.join(repeated)}")
    missing = [c.name for c in table.columns if not c.optional and c.name not in names]
    extra = [name for name in names if name not in table.column_names]
    if not missing and not extra:
        return
    problems = []
    if missing:
        problems.append(f"missing column(s) {', '.join(missing)}")
    if extra:
        problems.append(f"extra column(s) {', '.join(repr(name) for name in extra)}")
    message = f"{label} does not match the contract of {table.qualified_name}: " + "; ".join(
        problems
    )
    if {name.lower() for name in missing} & {name.lower() for name in extra}:
        message += " (column names are case-sensitive)"
    raise _Rejected(message)


def _csv_header(handle: IO[bytes], label: str) -> list[str]:
    """Header names, read in Python so that DuckDB's renaming of odd headers cannot hide them."""
    handle.seek(0)
    line = handle.readline(_HEADER_LIMIT)
    if not line.endswith(b"\n") and len(line) == _HEADER_LIMIT:
        raise _Rejected(f"{label}: the header line is longer than {_HEADER_LIMIT} bytes")
    try:
        text = line.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise _Rejected(
            f"{label} is not UTF-8 encoded (byte 0x{line[error.start]:02x} in the header line); "
            "export it as UTF-8"
        ) from error
    header = next(csv.reader([text.rstrip("\r\n")]), [])
    return [name.strip() for name in header]


def _first_error_line(error: Exception, source: str, label: str) -> str:
    """DuckDB's message, naming the file as the user knows it rather than by its handle."""
    return str(error).strip().splitlines()[0].replace(source, label)


def _type_label(column: Column) -> str:
    if column.duckdb_type == column.type:
        return column.type
    return f"{column.type} ({column.duckdb_type})"


def _stage_columns(table: Table, sources: dict[str, str]) -> tuple[list[str], dict[str, str]]:
    """Select expressions of the staging table and, per cast column, the reason of a failed cast.

    Text is trimmed, and blank text is empty. A column whose source type is already the contract
    type is staged as is; any other keeps its source value in `_raw_<name>` (a name no contract
    column can take) next to the try_cast. An optional column the file leaves out is empty, for
    its default to fill."""
    expressions, casts = [], {}
    for column in table.columns:
        name, source, target = column.name, sources.get(column.name), column.duckdb_type
        if source is None:
            expressions.append(f'CAST(NULL AS {target}) AS "{name}"')
            continue
        value = f'"{name}"'
        if source == "VARCHAR":
            value = f"nullif(trim({value}, {_WHITESPACE}), '')"
        if source == target or (target == "TIMESTAMPTZ" and source == "TIMESTAMP WITH TIME ZONE"):
            expressions.append(f'{value} AS "{name}"')
            continue
        casts[name] = f"cannot be read as {_type_label(column)}"
        if source.startswith(_NESTED_PREFIXES) or source.endswith("]"):
            raw, typed = f"CAST({value} AS VARCHAR)", f"CAST(NULL AS {target})"
            casts[name] = f"has Parquet type {source}, which {casts[name]}"
        elif source in _DIRECT_SOURCES.get(column.type, ()) or (
            source.startswith("DECIMAL") and column.type in NUMERIC_TYPES
        ):
            raw, typed = value, f"try_cast({value} AS {target})"
        else:
            raw = value if source == "VARCHAR" else f"CAST({value} AS VARCHAR)"
            typed = f"try_cast({raw} AS {target})"
        expressions += [f'{raw} AS "_raw_{name}"', f'{typed} AS "{name}"']
    return expressions, casts


def _stage_csv(
    connection: duckdb.DuckDBPyConnection, handle: IO[bytes], label: str, table: Table
) -> dict[str, str]:
    """Stage a CSV as text; records the reader cannot parse land in its reject table."""
    header = _csv_header(handle, label)
    _match_columns(label, table, header)
    as_text = dict.fromkeys(header, "VARCHAR")
    expressions, casts = _stage_columns(table, as_text)
    source = _duckdb_source(handle)
    try:
        connection.execute(
            f"create or replace temp table {_STAGE} as select ordinality as _row, "
            + ", ".join(expressions)
            + " from read_csv(?, header = true, columns = ?, auto_detect = false, delim = ',',"
            " quote = '\"', escape = '\"', store_rejects = true,"
            f" rejects_table = '{_REJECT_ERRORS}', rejects_scan = '{_REJECT_SCANS}')"
            " with ordinality",
            [source, as_text],
        )
    except duckdb.Error as error:
        reason = _first_error_line(error, source, label)
        raise _Rejected(f"{label} cannot be read as CSV: {reason}") from error
    return casts


def _parquet_names(connection: duckdb.DuckDBPyConnection, source: str) -> list[str]:
    """Top-level column names as the file has them: DuckDB renames a repeated one (`plan_1`).

    The schema lists every element depth-first, each with its number of children."""
    elements = connection.execute(
        "select name, num_children from parquet_schema(?)", [source]
    ).fetchall()
    names, inside = [], 0  # inside: elements of the current top-level column still to come
    for name, children in elements[1:]:  # the first is the root
        if inside:
            inside -= 1
        else:
            names.append(name)
        inside += children or 0
    return names


def _stage_parquet(
    connection: duckdb.DuckDBPyConnection, handle: IO[bytes], label: str, table: Table
) -> dict[str, str]:
    """Stage a Parquet file with its own types; a footer DuckDB cannot read rejects it."""
    source = _duckdb_source(handle)
    reader = "read_parquet(?, hive_partitioning = false{})"
    try:
        names = _parquet_names(connection, source)
        described = connection.execute(
            "describe select * from " + reader.format(""), [source]
        ).fetchall()
    except duckdb.Error as error:
        raise _Rejected(
            f"{label} cannot be read as Parquet (truncated or corrupt?): "
            + _first_error_line(error, source, label)
        ) from error
    _match_columns(label, table, names)
    expressions, casts = _stage_columns(table, {row[0]: row[1] for row in described})
    try:
        connection.execute(
            f"create or replace temp table {_STAGE} as select file_row_number + 1 as _row, "
            + ", ".join(expressions)
            + " from "
            + reader.format(", file_row_number = true"),
            [source],
        )
    except duckdb.Error as error:
        reason = _first_error_line(error, source, label)
        raise _Rejected(f"{label} cannot be read as Parquet: {reason}") from error
    return casts


# --------------------------------------------------------------------------------- validation


@dataclass(frozen=True)
class _Check:
    """One contract rule as a SQL condition over the staging table; true means the row fails.

    `shown` is the value quoted in the message: the source value, before any cast."""

    column: str
    rule: str
    condition: str
    reason: str
    shown: str
    params: tuple[Any, ...] = ()


def _column_checks(
    table: Table, column: Column, casts: dict[str, str], settings: Settings, now: datetime
) -> list[_Check]:
    name = column.name
    value = f'"{name}"'
    raw = f'"_raw_{name}"' if name in casts else value

    def check(rule: str, condition: str, reason: str, *params: Any) -> _Check:
        return _Check(name, rule, condition, reason, raw, params)

    checks = []
    if name in casts:
        failed = f"{value} IS NULL"
        if column.type in _INTEGER_TYPES:  # try_cast rounds '1.5' to 2: demand an integral value
            failed += f" OR {value} IS DISTINCT FROM try_cast({raw} AS DOUBLE)"
        checks.append(check("type", f"{raw} IS NOT NULL AND ({failed})", casts[name]))
    if column.type == "DOUBLE":
        checks.append(check("type", f"NOT isfinite({value})", "is not a finite number"))
    if name in table.key and not column.optional:  # an optional one's empty takes its default
        checks.append(check("key", f"{raw} IS NULL", "is empty but it is part of the key"))
    elif not column.nullable and not column.optional:
        checks.append(check("required", f"{raw} IS NULL", "is empty but the column is required"))
    if column.minimum is not None:
        reason = f"is below the minimum {column.minimum}"
        checks.append(check("range", f"{value} < CAST(? AS DOUBLE)", reason, column.minimum))
    if column.maximum is not None:
        reason = f"is above the maximum {column.maximum}"
        checks.append(check("range", f"{value} > CAST(? AS DOUBLE)", reason, column.maximum))
    if column.type == "MONEY" and name in casts:  # the cast would round 12.345 to 12.35
        reason = (
            f"has more than {MONEY_SCALE} decimals, more than {settings.currency} amounts carry"
            " (it would be rounded)"
        )
        condition = f"try_cast(CAST({raw} AS VARCHAR) AS DECIMAL(38, 18)) <> {value}"
        checks.append(check("decimals", condition, reason))
    if column.allowed:
        condition = f"NOT list_contains(?, CAST({value} AS VARCHAR))"
        reason = f"is not one of {', '.join(column.allowed)}"
        checks.append(check("allowed", condition, reason, list(column.allowed)))
    if column.type in TEMPORAL_TYPES:
        earliest, latest, latest_text = _temporal_bounds(column, settings, now)
        checks.append(check("too_early", f"{value} < ?", _too_early_reason(settings), earliest))
        if not column.future_ok:
            reason = f"is in the future (later than {latest_text})"
            checks.append(check("future", f"{value} > ?", reason, latest))
    return checks


def _too_early_reason(settings: Settings) -> str:
    """Names the setting that decides the founding date, since that is what to change."""
    if settings.founded_on_source == "NEXUS_FOUNDED_ON":
        where = "founded_on from NEXUS_FOUNDED_ON; change it"
    else:
        where = (
            f"founded_on in {settings.founded_on_source}; set NEXUS_FOUNDED_ON or edit that file"
        )
    return (
        f"is before the founding date {settings.founded_on.isoformat()}"
        f" ({where} if the company's data starts earlier)"
    )


def _temporal_bounds(column: Column, settings: Settings, now: datetime) -> tuple[Any, Any, str]:
    """Founding is midnight in the reporting timezone; the future starts after the tolerance."""
    latest = (now + settings.future_tolerance).astimezone(settings.tz)
    if column.type == "DATE":
        return settings.founded_on, latest.date(), latest.date().isoformat()
    earliest = datetime.combine(settings.founded_on, time(), tzinfo=settings.tz)
    return earliest, latest, latest.astimezone(UTC).isoformat(timespec="seconds")


def _reader_case(sql_by_kind: dict[str, str], default: str) -> str:
    """CASE over the error type of DuckDB's reject table."""
    whens = " ".join(f"when '{kind}' then {sql}" for kind, sql in sql_by_kind.items())
    return f"case error_type {whens} else {default} end"


def _collect_issues(
    connection: duckdb.DuckDBPyConnection, checks: list[_Check], csv_rejects: bool
) -> None:
    """Every failed check of every staged row, plus the records the CSV reader rejected.

    `_row` is the staged row (NULL for a record the reader rejected); `row_number` is the data row
    of the file, which for CSV differs from the reader's ordinal after a rejected record."""
    selects = [
        f"select _row, _row as row_number, ? as column_name, CAST({check.shown} AS VARCHAR)"
        f" as value, ? as rule, ? as reason from {_STAGE} where {check.condition}"
        for check in checks
    ]
    params: list[Any] = []
    for check in checks:
        params += [check.column, check.rule, check.reason, *check.params]
    if csv_rejects:
        rule = _reader_case(
            {kind: f"'{rule}'" for kind, (rule, _) in _READER_REASONS.items()}, "'unreadable'"
        )
        reason = _reader_case(
            {kind: reason for kind, (_, reason) in _READER_REASONS.items()},
            "'cannot be read (' || error_message || ')'",
        )
        selects.append(
            "select NULL, line::BIGINT - 1, column_name, trim(csv_line, chr(13) || chr(10)),"
            f" {rule}, {reason}"
            # one issue per line and error: DuckDB repeats MISSING COLUMNS for each missing column
            f" from {_REJECT_ERRORS}"
            " qualify row_number() over (partition by line, error_type order by column_idx) = 1"
        )
    connection.execute(
        f"create or replace temp table {_ISSUES} as " + " union all ".join(selects), params
    )
    if csv_rejects and _scalar(connection, f"select count(*) from {_REJECT_ERRORS}"):
        _renumber_around_rejects(connection)


def _renumber_around_rejects(connection: duckdb.DuckDBPyConnection) -> None:
    """Turn the reader's ordinal (which skips rejected records) into the data row number.

    With rejected rows r_1 < r_2 < ... the k-th staged row is row k + #{i : r_i - i < k}. Only
    the issues need it: the ordinal orders rows just as well for the latest-wins rule."""
    connection.execute(
        f"create or replace temp table {_ISSUES} as "
        f"with rejected as (select distinct row_number as r from {_ISSUES} where _row is null), "
        "gaps as (select r - row_number() over (order by r) as threshold,"
        " row_number() over (order by r) as skipped from rejected), "
        "steps as (select threshold, max(skipped) as skipped from gaps group by threshold) "
        "select i.* replace (i.row_number + coalesce(g.skipped, 0) as row_number)"
        f" from {_ISSUES} i asof left join steps g on i._row > g.threshold"
    )


# ----------------------------------------------------------------------------------- defaults


def _derived_key(table: Table, column: Column) -> str:
    """SQL for a stable hash of the named columns' typed values: the same row gets the same key
    whatever the file's format or column order (timestamps as epoch microseconds, so neither
    does the session timezone change it)."""
    values = ", ".join(
        f'CAST(epoch_us("{name}") AS VARCHAR)'
        if table.column(name).type == "TIMESTAMPTZ"
        else f'CAST("{name}" AS VARCHAR)'
        for name in column.derived_from
    )
    content = f"to_json(list_value({values}))"
    if column.type == "VARCHAR":
        return f"md5({content})"
    return f"greatest(CAST(md5_number({content}) >> 65 AS BIGINT), 1)"  # 63 bits, at least 1


def _fill_defaults(connection: duckdb.DuckDBPyConnection, table: Table) -> None:
    """Empty values of optional columns take their default, after the checks (an empty value
    passes them): fixed values first, since a derived key may hash them."""
    for column in table.columns:
        if column.default is not None:
            connection.execute(
                f'update {_STAGE} set "{column.name}" = ? where "{column.name}" is null',
                [column.default],
            )
    for column in table.columns:
        if column.derived_from:
            connection.execute(
                f'update {_STAGE} set "{column.name}" = {_derived_key(table, column)}'
                f' where "{column.name}" is null'
            )


# ------------------------------------------------------------------------------------ writing

# "<file> row 3, column signup_at: '2099-01-01' is in the future (...)"
_SHOWN_VALUE = (
    f"case when length(value) > {_MESSAGE_VALUE_LIMIT}"
    f" then left(value, {_MESSAGE_VALUE_LIMIT}) || '…' else value end"
)
_MESSAGE_SQL = (
    "? || ' row ' || row_number || coalesce(', column ' || column_name, '') || ': '"
    f" || case when _row is null then '' else coalesce('''' || ({_SHOWN_VALUE}) || ''' ', '') end"
    " || reason"
)


def _load(
    connection: duckdb.DuckDBPyConnection,
    result: FileResult,
    label: str,
    started_at: datetime,
    casts: dict[str, str],
    settings: Settings,
    now: datetime,
    salt: str | None,
) -> None:
    """Validate the staged file and write it, its quarantine and its log row in one transaction."""
    table = load_contract()[result.table or ""]
    checks = [
        check
        for column in table.columns
        for check in _column_checks(table, column, casts, settings, now)
    ]
    _collect_issues(connection, checks, csv_rejects=result.path.suffix.lower() == ".csv")
    staged = _scalar(connection, f"select count(*) from {_STAGE}")
    unreadable, not_utf8, first_row, first_column = connection.execute(
        "select count(distinct row_number),"
        " count(distinct row_number) filter (where rule = 'encoding'),"
        " min(row_number), arg_min(column_name, row_number)"
        f" from {_ISSUES} where _row is null"
    ).fetchone() or (0, 0, None, None)
    if staged == 0 and unreadable and not_utf8 == unreadable:
        raise _Rejected(
            f"{label} is not UTF-8 encoded: none of its {unreadable} data rows is valid UTF-8"
            f" (first at row {first_row}, column {first_column}); export it as UTF-8"
        )
    _fill_defaults(connection, table)
    _suppress_erased(connection, table, salt)
    keys = ", ".join(f'"{key}"' for key in table.key)
    columns = ", ".join(f'"{name}"' for name in table.column_names)
    connection.execute(
        f"create or replace temp table {_BAD} as"
        f" select distinct _row from {_ISSUES} where _row is not null"
    )
    connection.execute(
        f"create or replace temp view {_VALID} as"
        f" select * from {_STAGE} anti join {_BAD} using (_row)"
        f" anti join {_SUPPRESSED} using (_row)"
    )
    # Latest wins inside the file: every earlier row of a repeated key is a duplicate.
    connection.execute(
        f"create or replace temp table {_DUPLICATES} as select v._row from {_VALID} v join"
        f" (select {keys}, max(_row) as keep from {_VALID} group by all having count(*) > 1) d"
        f" using ({keys}) where v._row < d.keep"
    )
    result.rows_in = staged + unreadable
    result.quarantined = _scalar(connection, f"select count(*) from {_BAD}") + unreadable
    result.duplicates = _scalar(connection, f"select count(*) from {_DUPLICATES}")
    result.suppressed = _scalar(connection, f"select count(*) from {_SUPPRESSED}")
    # the raw table's upsert, the quarantine and the log: all of a file or none of it
    with transaction(connection):
        if _scalar(connection, f"select exists (select 1 from {table.qualified_name})"):
            result.replaced = _scalar(
                connection,
                f"delete from {table.qualified_name}"
                f" where ({keys}) in (select {keys} from {_VALID})",
            )
        result.loaded = _scalar(
            connection,
            f"insert into {table.qualified_name} ({columns}) select {columns}"
            f" from {_VALID} anti join {_DUPLICATES} using (_row)",
        )
        connection.execute(
            "insert into ingest.quarantine select ?, ?, ?, row_number, column_name,"
            f" left(value, {_VALUE_LIMIT}), rule, {_MESSAGE_SQL}, ?"
            f" from {_ISSUES} order by row_number",
            [table.name, label, result.sha256, label, started_at],
        )
        _write_log(connection, result, label, started_at)


def _suppress_erased(connection: duckdb.DuckDBPyConnection, table: Table, salt: str | None) -> None:
    """Skip the rows an erased user owns and empty the columns that only mention one, before
    anything is written: their issues are dropped too, so the quarantine keeps none of their
    values. `salt` is None when no user was ever erased."""
    connection.execute(f"create or replace temp table {_SUPPRESSED} (_row BIGINT)")
    owners, mentions = table.user_columns("owner"), table.user_columns("mention")
    if salt is None or not (owners or mentions):
        return

    def erased(name: str) -> str:
        column = f'"{name}"'
        return f"{subject_hash_sql(column)} in (select subject_hash from {SUPPRESSION_TABLE})"

    if owners:
        connection.execute(
            f"insert into {_SUPPRESSED} select _row from {_STAGE}"
            f" where {' or '.join(erased(name) for name in owners)}",
            [salt] * len(owners),
        )
        connection.execute(f"delete from {_ISSUES} where _row in (select _row from {_SUPPRESSED})")
    for name in mentions:
        connection.execute(f'update {_STAGE} set "{name}" = NULL where {erased(name)}', [salt])


def _write_log(
    connection: duckdb.DuckDBPyConnection, result: FileResult, label: str, started_at: datetime
) -> None:
    connection.execute(
        "insert into ingest.ingestion_log (file_path, table_name, sha256, status,"
        f" {', '.join(COUNTS)}, error, started_at, finished_at)"
        " values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            label,
            result.table,
            result.sha256,
            result.status,
            *(getattr(result, name) for name in COUNTS),
            result.error,
            started_at,
            datetime.now(UTC),
        ],
    )


def _previous_load(
    connection: duckdb.DuckDBPyConnection, sha256: str, table: str
) -> tuple[str, datetime] | None:
    return connection.execute(
        "select file_path, finished_at from ingest.ingestion_log"
        " where sha256 = ? and table_name = ? and status = 'loaded'"
        " order by finished_at limit 1",
        [sha256, table],
    ).fetchone()


def _moved_aside(
    connection: duckdb.DuckDBPyConnection, path: Path, landing_dir: Path, label: str
) -> str | None:
    """Why a listed file that is gone is no rejection: an ingest (perhaps a concurrent one that
    listed it too) already rejected it and moved it to `_rejected/`."""
    relative = _relative(path, landing_dir)
    if relative is None or not (landing_dir / REJECTED_DIR / relative).is_file():
        return None
    rejected_at = _scalar(
        connection,
        "select max(finished_at) from ingest.ingestion_log"
        " where file_path = ? and status = 'rejected'",
        [label],
    )
    if rejected_at is None:
        return None
    return (
        f"{label} is gone: another ingest rejected it at"
        f" {rejected_at.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC and moved it to"
        f" {REJECTED_DIR}/{relative.as_posix()}"
    )


def _ingest_file(
    connection: duckdb.DuckDBPyConnection,
    path: Path,
    landing_dir: Path,
    settings: Settings,
    now: datetime,
    salt: str | None,
) -> FileResult:
    started_at = datetime.now(UTC)
    label = _label(path, landing_dir)
    table, route_error = _route(path, landing_dir)
    result = FileResult(path=path, table=table, sha256=None, status="loaded")
    try:
        try:
            if not path.is_file():
                moved = _moved_aside(connection, path, landing_dir, label)
                if moved:
                    return FileResult(path, table, None, status="skipped", error=moved)
                raise _Rejected(f"{label} does not exist or is not a file")
            with path.open("rb") as handle:  # hashed and read through one handle (module doc)
                result.sha256 = _digest(handle)
                if table is None:
                    raise _Rejected(str(route_error))
                previous = _previous_load(connection, result.sha256, table)
                if previous:
                    result.status = "skipped"
                    result.error = (
                        f"{label} has the same content as {previous[0]}, loaded at"
                        f" {previous[1].astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC; nothing changed"
                    )
                    return result
                if os.fstat(handle.fileno()).st_size == 0:
                    raise _Rejected(f"{label} is empty (0 bytes)")
                stage = _stage_csv if path.suffix.lower() == ".csv" else _stage_parquet
                casts = stage(connection, handle, label, load_contract()[table])
        except OSError as error:
            raise _Rejected(f"{label} cannot be read: {error.strerror or error}") from error
        _load(connection, result, label, started_at, casts, settings, now, salt)
    except _Rejected as rejection:
        result = FileResult(
            path=path, table=table, sha256=result.sha256, status="rejected", error=str(rejection)
        )
        result.moved_to = _reject_file(path, landing_dir, result.error or "", started_at)
        _write_log(connection, result, label, started_at)
    finally:
        _drop_temp_objects(connection)
    return result


def ingest_files(
    connection: duckdb.DuckDBPyConnection,
    paths: Sequence[Path],
    landing_dir: Path,
    settings: Settings,
    now: datetime | None = None,
) -> IngestReport:
    """Ingest files in the order given (callers sort them: a later file's row wins a key),
    holding the ingest lock (callers should take it before they connect: `ingest_lock`).

    `now` is the clock of the future-date rule (default: the current time, UTC)."""
    now = now or datetime.now(UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    with ingest_lock(settings):
        ensure_ingest_tables(connection)
        # refused without the salt once a user was erased: their rows would come back
        salt = erasure_salt() if has_erased_subjects(connection) else None
        return IngestReport(
            [
                _ingest_file(connection, Path(path), landing_dir, settings, now, salt)
                for path in paths
            ]
        )
