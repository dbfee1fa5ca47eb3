"""Erasure (GDPR Art. 17) and retention purge carried out on the warehouse, not only counted.

An erasure request is a `raw.data_subject_requests` row of type erasure naming a user. Executing
it deletes every raw row a column marked `identifies_user: owner` ties to the user, empties the
columns marked `mention` that only name them, and records in one transaction:
- `ingest.erasure_log`: one row per table touched (request, rows removed, values emptied, when,
  by which run and process), with a one-way salted hash of the user id, never the id itself;
- `ingest.erased_subjects`: the same hash, which ingestion checks so that a re-sent export still
  holding the user skips their rows (counted as suppressed);
- the deletion of the rows of `ingest.quarantine` holding the user (an offending value of a
  column marking a user, or an unreadable CSV line with their id), logged as that table.
Quarantine rows are deleted, not emptied: a row's file and row number point at the user's
record in the source file, and the reader's reason can quote the line. The ingestion log keeps
its counts, since the audit log says how many quarantine rows went.
The derived tables are then rebuilt from raw by the runner, so none of them holds the user.

The salt comes from NEXUS_ERASURE_SALT (never stored): without it the hash could be reversed by
hashing every user id, so nothing is erased or ingested against the suppression list without it.

Retention purge: a record whose category (`raw.retention_policies.data_category`, one per raw
table that holds records of that name) is older than its retention period on the purge day is
deleted the same way and logged with request id `retention:<category>`.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import dagster as dg
import duckdb

from nexus_pipelines.contract import Table, load_contract
from nexus_pipelines.warehouse import transaction

SALT_VARIABLE = "NEXUS_ERASURE_SALT"
SUPPRESSION_TABLE = "ingest.erased_subjects"
AUDIT_TABLE = "ingest.erasure_log"
QUARANTINE_TABLE = "ingest.quarantine"
# Quarantine rules of a CSV line the reader could not split: its value is the whole line.
LINE_RULES = ("unreadable", "encoding")

ERASURE_DDL = (
    f"""create table if not exists {AUDIT_TABLE} (
    run_id VARCHAR NOT NULL,
    request_id VARCHAR NOT NULL,
    reason VARCHAR NOT NULL CHECK (reason IN ('erasure', 'retention')),
    subject_hash VARCHAR,
    table_name VARCHAR NOT NULL,
    rows_removed BIGINT NOT NULL,
    values_emptied BIGINT NOT NULL,
    executed_at TIMESTAMPTZ NOT NULL,
    executed_by VARCHAR NOT NULL
)""",
    f"""create table if not exists {SUPPRESSION_TABLE} (
    subject_hash VARCHAR NOT NULL,
    request_id VARCHAR NOT NULL,
    erased_at TIMESTAMPTZ NOT NULL
)""",
)

# Retention: per data category (raw.retention_policies), the raw tables holding its records and
# the column dating a record. A category without a table here (account data, backups, access
# logs) is not held in the warehouse.
RETENTION_TABLES = {
    "usage_events": (("events", "occurred_at"), ("feature_usage", "used_at")),
    "support_conversations": (("support_tickets", "created_at"),),
    "marketing_contacts": (("campaign_targets", "selected_at"),),
    "billing_records": (("invoices", "issued_at"),),
}


class ErasureError(ValueError):
    """The request cannot be carried out; the message says why and what to do."""


def erasure_salt() -> str:
    """The salt of the subject hash, from the environment (a Dagster EnvVar in deployments)."""
    salt = dg.EnvVar(SALT_VARIABLE).get_value()
    if not salt:
        raise ErasureError(
            f"{SALT_VARIABLE} is not set: erasure stores a salted hash of the erased user's id,"
            " and ingestion checks new rows against it; set it to a long random secret that"
            " stays the same for the deployment"
        )
    return salt


def subject_hash_sql(expression: str) -> str:
    """SQL for the salted hash of a user id expression (one `?` parameter: the salt)."""
    return f"sha256(? || ':' || CAST({expression} AS VARCHAR))"


def ensure_erasure_tables(connection: duckdb.DuckDBPyConnection) -> None:
    connection.execute("create schema if not exists ingest")
    for ddl in ERASURE_DDL:
        connection.execute(ddl)


def _exists(connection: duckdb.DuckDBPyConnection, qualified: str) -> bool:
    schema, name = qualified.split(".")
    row = connection.execute(
        "select count(*) from duckdb_tables() where schema_name = ? and table_name = ?",
        [schema, name],
    ).fetchone()
    return bool(row and row[0])


def has_erased_subjects(connection: duckdb.DuckDBPyConnection) -> bool:
    ensure_erasure_tables(connection)
    row = connection.execute(f"select exists (select 1 from {SUPPRESSION_TABLE})").fetchone()
    return bool(row and row[0])


@dataclass
class TableEffect:
    table: str  # a raw table's name, or a schema-qualified one (ingest.quarantine)
    rows_removed: int
    values_emptied: int

    @property
    def qualified_name(self) -> str:
        return self.table if "." in self.table else f"raw.{self.table}"


@dataclass
class ErasurePlan:
    """What an erasure or purge removes, per table; the same for its dry run and its run."""

    request_id: str
    reason: str
    user_id: int | None = None
    effects: list[TableEffect] = field(default_factory=list)
    quarantine_rows: int = 0  # of ingest.quarantine holding the subject (erasure only)
    # per table: (where clause deleting rows, its parameters, [(mention column, where, params)])
    _deletes: dict[str, tuple[str, list]] = field(default_factory=dict, repr=False)
    _empties: dict[str, list[tuple[str, str, list]]] = field(default_factory=dict, repr=False)

    @property
    def rows_removed(self) -> int:
        return sum(effect.rows_removed for effect in self.effects) + self.quarantine_rows

    def lines(self) -> list[str]:
        touched = [e for e in self.effects if e.rows_removed or e.values_emptied]
        if self.quarantine_rows:
            touched.append(TableEffect(QUARANTINE_TABLE, self.quarantine_rows, 0))
        out = [
            f"  {e.qualified_name}: {e.rows_removed} rows removed"
            + (f", {e.values_emptied} values emptied" if e.values_emptied else "")
            for e in touched
        ]
        return out or ["  nothing to remove"]


def _count(connection: duckdb.DuckDBPyConnection, sql: str, params: list) -> int:
    row = connection.execute(sql, params).fetchone()
    return int(row[0]) if row else 0


def _add(
    plan: ErasurePlan,
    connection: duckdb.DuckDBPyConnection,
    table: Table,
    where: str,
    params: list,
    empties: list[tuple[str, str, list]],
) -> None:
    removed = (
        _count(connection, f"select count(*) from {table.qualified_name} where {where}", params)
        if where
        else 0
    )
    emptied = sum(
        _count(connection, f"select count(*) from {table.qualified_name} where {cond}", p)
        for _, cond, p in empties
    )
    plan.effects.append(TableEffect(table.name, removed, emptied))
    if where:
        plan._deletes[table.name] = (where, params)
    plan._empties[table.name] = empties


def _identifies_users(table: Table) -> bool:
    return any(column.identifies_user for column in table.columns)


def _quarantine_holding(tables: list[Table], user_id: int) -> tuple[str, list]:
    """A where clause on ingest.quarantine for the rows holding the user, and its parameters.

    A quarantine row keeps one offending value of a rejected record. It holds the user when the
    value is a column marking a user (the same number, however spelled) or is a CSV line the
    reader could not split into columns of such a table and one of its values is the user's id
    (which value is the column cannot be known there, so any of them counts). All the rows of
    the record then go, its other values being the user's data, unless it only mentions them:
    then only the mention's row goes, as only the mention is emptied in a raw table."""
    marked = [
        (table.name, column.name, column.identifies_user)
        for table in tables
        for column in table.columns
        if column.identifies_user
    ]
    rules = ", ".join(f"'{rule}'" for rule in LINE_RULES)
    record = ("table_name", "file_path", "sha256", "row_number")
    where = f"""rowid in (
    with marked (table_name, column_name, kind) as (
        values {", ".join("(?, ?, ?)" for _ in marked)}
    ),

    holding as (
        select
            {", ".join(f"q.{name}" for name in record)},
            q.column_name,
            q.rule in ({rules}) or marked.kind = 'owner' as whole_record,
        from {QUARANTINE_TABLE} as q
        left join marked
            on q.table_name = marked.table_name
            and q.column_name = marked.column_name
        where q.table_name in (select marked.table_name from marked)
            and (
                (marked.kind is not null and try_cast(q.value as double) = ?)
                or (
                    q.rule in ({rules})
                    and list_contains(
                        list_transform(string_split(q.value, ','), lambda field: trim(field, ' "')),
                        ?
                    )
                )
            )
    )

    select q.rowid
    from {QUARANTINE_TABLE} as q
    inner join holding
        on {" and ".join(f"q.{name} = holding.{name}" for name in record)}
        and (holding.whole_record or q.column_name is not distinct from holding.column_name)
)"""
    return where, [value for row in marked for value in row] + [user_id, str(user_id)]


def plan_erasure(connection: duckdb.DuckDBPyConnection, request_id: str) -> ErasurePlan:
    """The rows of the request's user in every raw table with a column identifying a user."""
    request = connection.execute(
        "select request_type, user_id from raw.data_subject_requests where request_id = ?",
        [request_id],
    ).fetchone()
    if request is None:
        raise ErasureError(f"No data-subject request {request_id!r} in raw.data_subject_requests")
    kind, user_id = request
    if kind != "erasure":
        raise ErasureError(f"Request {request_id!r} is of type {kind}, not erasure")
    if user_id is None:
        done = (
            connection.execute(
                f"select min(executed_at) from {AUDIT_TABLE} where request_id = ?", [request_id]
            ).fetchone()
            if _exists(connection, AUDIT_TABLE)
            else None
        )
        if done and done[0]:
            raise ErasureError(
                f"Request {request_id!r} was executed at {done[0]:%Y-%m-%d %H:%M} UTC"
            )
        raise ErasureError(f"Request {request_id!r} names no user: nothing can be erased")
    plan = ErasurePlan(request_id, "erasure", int(user_id))
    tables = [table for table in load_contract().values() if _identifies_users(table)]
    for table in tables:
        owners, mentions = table.user_columns("owner"), table.user_columns("mention")
        where = " or ".join(f'"{name}" = ?' for name in owners)
        empties = [(name, f'"{name}" = ?', [user_id]) for name in mentions]
        _add(plan, connection, table, where, [user_id] * len(owners), empties)
    if _exists(connection, QUARANTINE_TABLE):
        where, params = _quarantine_holding(tables, int(user_id))
        plan._deletes[QUARANTINE_TABLE] = (where, params)
        plan.quarantine_rows = _count(
            connection, f"select count(*) from {QUARANTINE_TABLE} where {where}", params
        )
    return plan


def plan_purge(connection: duckdb.DuckDBPyConnection, on: date) -> list[ErasurePlan]:
    """Per retention category with a raw table: its records created before `on` minus the
    category's retention days (records past their retention period)."""
    tables = load_contract()
    plans = []
    policies = connection.execute(
        "select data_category, retention_days from raw.retention_policies order by data_category"
    ).fetchall()
    for category, days in policies:
        if category not in RETENTION_TABLES:
            continue
        cutoff = datetime.combine(on - timedelta(days=int(days)), datetime.min.time(), UTC)
        plan = ErasurePlan(f"retention:{category}", "retention")
        for name, column in RETENTION_TABLES[category]:
            _add(plan, connection, tables[name], f'"{column}" < ?', [cutoff], [])
        plans.append(plan)
    return plans


def execute(connection: duckdb.DuckDBPyConnection, plan: ErasurePlan, run_id: str) -> None:
    """Delete, empty, log and (for an erasure) suppress: all of it or none of it."""
    salt = erasure_salt()
    ensure_erasure_tables(connection)
    now = datetime.now(UTC)
    executed_by = f"{socket.gethostname()} pid {os.getpid()}"
    subject = None
    if plan.user_id is not None:
        row = connection.execute(f"select {subject_hash_sql('?')}", [salt, plan.user_id]).fetchone()
        subject = row[0] if row else None

    def log(table: str, rows_removed: int, values_emptied: int) -> None:
        connection.execute(
            f"insert into {AUDIT_TABLE} values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                run_id,
                plan.request_id,
                plan.reason,
                subject,
                table,
                rows_removed,
                values_emptied,
                now,
                executed_by,
            ],
        )

    with transaction(connection):
        for effect in plan.effects:
            qualified = f"raw.{effect.table}"
            if effect.table in plan._deletes:
                where, params = plan._deletes[effect.table]
                connection.execute(f"delete from {qualified} where {where}", params)
            for column, condition, params in plan._empties.get(effect.table, []):
                connection.execute(
                    f'update {qualified} set "{column}" = NULL where {condition}', params
                )
            log(effect.table, effect.rows_removed, effect.values_emptied)
        if QUARANTINE_TABLE in plan._deletes:
            where, params = plan._deletes[QUARANTINE_TABLE]
            connection.execute(f"delete from {QUARANTINE_TABLE} where {where}", params)
            log(QUARANTINE_TABLE, plan.quarantine_rows, 0)
        if subject is not None:
            connection.execute(
                f"insert into {SUPPRESSION_TABLE} values (?, ?, ?)",
                [subject, plan.request_id, now],
            )


def new_run_id() -> str:
    return str(uuid.uuid4())
