"""The SQL asset pattern on its first slice (DAU, signups by channel), with hand-worked answers.
Tables of daily rows are partitioned by month (keys "2025-03-01", ...): a run of a month writes
every day of it.

Raw data used by every test (times UTC):
  users  u1 2025-03-01 10:00 organic | u2 2025-03-01 23:30 paid_search
         u3 2025-03-02 12:00 referral | u4 2025-03-03 09:00 organic | u5 2025-03-02 02:00 social
  events u1 03-01 10:05, u1 03-01 15:00, u2 03-02 00:10 (after midnight UTC), u3 03-02 13:00,
         u1 03-02 18:00, u4 03-02 20:00 (before u4's signup), u99 03-02 10:00 (unknown user),
         u4 03-03 09:30
By hand, UTC:  DAU 03-01 = 1 (u1), 03-02 = 3 (u1, u2, u3), 03-03 = 1 (u4), and 0 on each of the
               other 28 days of March (03-04 .. 03-31; days without events show 0): 31 rows.
In New York (UTC-5 before 9 March 2025): u2's 00:10 event is 03-01 19:10, so
               DAU 03-01 = 2 (u1, u2), 03-02 = 2 (u1, u3), 03-03 = 1 (u4: 04:30 local).
Signups UTC: 03-01 organic 1, paid_search 1; 03-02 referral 1, social 1; 03-03 organic 1.
Signups New York: u5 signs up 03-01 21:00 local, so 03-01 gains social 1 and 03-02 has referral 1.
"""

from __future__ import annotations

import random
import subprocess
import sys
from datetime import date, datetime
from zoneinfo import ZoneInfo

import dagster as dg
import pytest

from nexus_pipelines import warehouse as warehouse_module
from nexus_pipelines.contract import load_contract
from nexus_pipelines.sql_assets import build_sql_asset, load_declarations, write_window
from nexus_pipelines.warehouse import Warehouse

USERS = [
    (1, "2025-03-01 10:00:00+00", "organic"),
    (2, "2025-03-01 23:30:00+00", "paid_search"),
    (3, "2025-03-02 12:00:00+00", "referral"),
    (4, "2025-03-03 09:00:00+00", "organic"),
    (5, "2025-03-02 02:00:00+00", "social"),
]
EVENTS = [
    (1, 1, "2025-03-01 10:05:00+00"),
    (2, 1, "2025-03-01 15:00:00+00"),
    (3, 2, "2025-03-02 00:10:00+00"),
    (4, 3, "2025-03-02 13:00:00+00"),
    (5, 1, "2025-03-02 18:00:00+00"),
    (6, 4, "2025-03-02 20:00:00+00"),
    (7, 99, "2025-03-02 10:00:00+00"),
    (8, 4, "2025-03-03 09:30:00+00"),
]
MARCH, APRIL, MAY = "2025-03-01", "2025-04-01", "2025-05-01"  # month partition keys
# DAU counts the user-days of growth.user_activity_days, and like it rewrites the 3 days before its
# month (growth_late_event_days): 02-26..02-28 have no events, so 0.
MARCH_DAU = (
    [(date(2025, 2, day), 0) for day in (26, 27, 28)]
    + [(date(2025, 3, 1), 1), (date(2025, 3, 2), 3), (date(2025, 3, 3), 1)]
    + [(date(2025, 3, day), 0) for day in range(4, 32)]
)
# what a table's query reads that the test must build first
UPSTREAM = {"daily_active_users": ["user_activity_days"]}


def declaration(name: str):
    return next(d for d in load_declarations() if d.name == name)


def load_raw(
    warehouse: Warehouse, users: list[tuple] = USERS, events: list[tuple] = EVENTS
) -> None:
    with warehouse.get_connection() as connection:
        for table in load_contract().values():
            connection.execute(table.ddl())
        for user_id, signup_at, channel in users:
            connection.execute(
                "insert into raw.users "
                "values ($1, $2, $3, null, 'free', 'self_serve', 'DE', 'core')",
                [user_id, signup_at, channel],
            )
        for event_id, user_id, occurred_at in events:
            connection.execute(
                "insert into raw.events values ($1, $2, $3, 'session_start', 'core')",
                [event_id, user_id, occurred_at],
            )


def rows(warehouse: Warehouse, sql: str) -> list[tuple]:
    with warehouse.get_connection(read_only=True) as connection:
        return connection.execute(sql).fetchall()


def typed(value: dg.MetadataValue) -> tuple[str, object]:
    """A metadata value with its type: Dagster's equality takes int 8 for float 8.0."""
    return type(value).__name__, value.value


def with_upstream(name: str) -> list[dg.AssetsDefinition]:
    return [build_sql_asset(declaration(n)) for n in [*UPSTREAM.get(name, []), name]]


def materialize_range(warehouse: Warehouse, name: str, first: str, last: str) -> None:
    result = dg.materialize(
        with_upstream(name),
        resources={"warehouse": warehouse},
        tags={
            "dagster/asset_partition_range_start": first,
            "dagster/asset_partition_range_end": last,
        },
    )
    assert result.success
    # the named asset's own checks (user_activity_days' WARN check flags u4's event before signup)
    key = declaration(name).asset_key
    checks = [check for check in result.get_asset_check_evaluations() if check.asset_key == key]
    assert checks and all(check.passed for check in checks)


def test_daily_active_users_by_hand_in_utc(warehouse: Warehouse) -> None:
    """The March partition: DAU 1, 3, 1 on 03-01..03-03 and 0 on 03-04..03-31 (module
    docstring), 31 rows, and the 3 look-back days before March at 0: 34 rows, none after March."""
    load_raw(warehouse)
    materialize_range(warehouse, "daily_active_users", MARCH, MARCH)
    assert rows(warehouse, "select * from growth.daily_active_users order by 1") == MARCH_DAU


HOLD_THE_LOCK = """
import sys, time, duckdb
connection = duckdb.connect(sys.argv[1])
print("held", flush=True)
time.sleep(float(sys.argv[2]))
"""


def test_a_step_that_finds_the_warehouse_locked_is_retried_once_the_lock_is_gone(
    warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A process outside Dagster holds the writer's lock for 4 s; the step's own connection
    attempts (cut to 2 here) give up, the step is retried after its pause and then writes."""
    load_raw(warehouse)
    monkeypatch.setattr(warehouse_module, "_CONNECT_ATTEMPTS", 2)
    monkeypatch.setattr(warehouse_module, "LOCKED_STEP_WAIT_SECONDS", 6)
    path = str(warehouse.resolved_path())
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_THE_LOCK, path, "4"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        result = dg.materialize(
            with_upstream("daily_active_users"),
            resources={"warehouse": warehouse},
            partition_key=MARCH,
        )
    finally:
        holder.wait(timeout=30)
    assert result.success
    retries = [
        e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_UP_FOR_RETRY
    ]
    # the first step to open the warehouse meets the lock; once retried, the run goes on
    assert len(retries) == 1 and "lock" in str(retries[0].event_specific_data.error).lower()
    assert rows(warehouse, "select * from growth.daily_active_users order by 1") == MARCH_DAU


LATER_EVENTS = [
    (10, 3, "2025-03-31 08:00:00+00"),
    (11, 1, "2025-03-31 09:00:00+00"),
    (12, 2, "2025-05-10 12:00:00+00"),
    (13, 2, "2025-05-10 13:00:00+00"),
    (14, 5, "2025-05-31 23:00:00+00"),
]


def test_each_partition_of_a_range_run_carries_its_own_rows_and_headline(
    warehouse: Warehouse, tmp_path
) -> None:
    """One run over March..May 2025, read back from a real instance, with the module's events
    and five more: u3 and u1 on 03-31, u2 twice on 05-10, u5 on 05-31; none in April. By hand:
    user_activity_days (user-days; headline qualifying_events = sum of events)
      March 03-01 u1 (2 events) | 03-02 u1, u2, u3 (1 each; u4 before signup and u99 unknown
            left out) | 03-03 u4 (1) | 03-31 u1, u3 (1 each): 1 + 3 + 1 + 2 = 7 rows, 8 events
      April no user-days: 0 rows, and no events to sum: the headline has no value (null, not 0)
      May   05-10 u2 (2) | 05-31 u5 (1): 2 rows, 3 events
    daily_active_users (a row every day; headline active_users_last_day = DAU on the last day)
      March 31 rows, DAU 03-31 = 2 (u1, u3) | April 30 rows, DAU 04-30 = 0 (a real 0: the
      row exists) | May 31 rows, DAU 05-31 = 1 (u5)."""
    load_raw(warehouse, events=EVENTS + LATER_EVENTS)
    (tmp_path / "dagster_home").mkdir()
    instance = dg.DagsterInstance.local_temp(tempdir=str(tmp_path / "dagster_home"))
    assets = [build_sql_asset(declaration(n)) for n in ("user_activity_days", "daily_active_users")]
    result = dg.materialize(
        assets,
        resources={"warehouse": warehouse},
        instance=instance,
        tags={
            "dagster/asset_partition_range_start": MARCH,
            "dagster/asset_partition_range_end": MAY,
        },
    )
    assert result.success

    def shown(name: str) -> dict[str, dict[str, dg.MetadataValue]]:
        records = instance.fetch_materializations(dg.AssetKey(["growth", name]), limit=50).records
        return {r.partition_key: r.asset_materialization.metadata for r in records}

    activity, dau = shown("user_activity_days"), shown("daily_active_users")
    assert {key: m["dagster/row_count"].value for key, m in activity.items()} == {
        MARCH: 7,
        APRIL: 0,
        MAY: 2,
    }
    # counts are recorded as whole numbers, ints (the UI shows 8, not 8.00)
    assert {key: typed(m["qualifying_events"]) for key, m in activity.items()} == {
        MARCH: ("IntMetadataValue", 8),
        APRIL: ("NullMetadataValue", None),
        MAY: ("IntMetadataValue", 3),
    }
    assert {key: m["dagster/row_count"].value for key, m in dau.items()} == {
        MARCH: 31,
        APRIL: 30,
        MAY: 31,
    }
    assert {key: typed(m["active_users_last_day"]) for key, m in dau.items()} == {
        MARCH: ("IntMetadataValue", 2),
        APRIL: ("IntMetadataValue", 0),
        MAY: ("IntMetadataValue", 1),
    }
    # the newest partition alone carries a preview: a table (shown inline in the UI) of the
    # latest days first, the key column leading
    assert [key for key, metadata in dau.items() if "preview" in metadata] == [MAY]
    preview = dau[MAY]["preview"]
    assert isinstance(preview, dg.TableMetadataValue)
    assert [column.name for column in preview.schema.columns] == ["activity_date", "active_users"]
    assert [record.data for record in preview.records[:3]] == [
        {"activity_date": "2025-05-31", "active_users": "1"},
        {"activity_date": "2025-05-30", "active_users": "0"},
        {"activity_date": "2025-05-29", "active_users": "0"},
    ]
    assert "dagster/column_schema" in dau[MAY] and "dagster/column_schema" not in dau[MARCH]
    # the SQL is the asset's, once, not every event's
    assert not any("sql" in metadata for metadata in dau.values())
    (spec,) = assets[1].specs
    assert "select" in spec.metadata["sql"].value


def new_york_window(first: date, last_exclusive: date) -> tuple[datetime, datetime]:
    zone = ZoneInfo("America/New_York")
    return (
        datetime(first.year, first.month, first.day, tzinfo=zone),
        datetime(last_exclusive.year, last_exclusive.month, last_exclusive.day, tzinfo=zone),
    )


def test_event_after_midnight_utc_counts_on_previous_day_in_new_york(
    warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEXUS_REPORTING_TZ", "America/New_York")
    load_raw(warehouse)
    start, end = new_york_window(date(2025, 3, 1), date(2025, 3, 4))
    with warehouse.get_connection() as connection:
        write_window(connection, declaration("user_activity_days"), start, end)
        written = write_window(connection, declaration("daily_active_users"), start, end)
    assert written == 3
    assert rows(warehouse, "select * from growth.daily_active_users order by 1") == [
        (date(2025, 3, 1), 2),
        (date(2025, 3, 2), 2),
        (date(2025, 3, 3), 1),
    ]


def test_signups_by_channel_by_hand(warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch) -> None:
    load_raw(warehouse)
    materialize_range(warehouse, "signups_by_channel_daily", MARCH, MARCH)
    assert rows(warehouse, "select * from growth.signups_by_channel_daily order by 1, 2") == [
        (date(2025, 3, 1), "organic", 1),
        (date(2025, 3, 1), "paid_search", 1),
        (date(2025, 3, 2), "referral", 1),
        (date(2025, 3, 2), "social", 1),
        (date(2025, 3, 3), "organic", 1),
    ]
    monkeypatch.setenv("NEXUS_REPORTING_TZ", "America/New_York")
    start, end = new_york_window(date(2025, 3, 1), date(2025, 3, 4))
    with warehouse.get_connection() as connection:
        connection.execute("drop table growth.signups_by_channel_daily")
        write_window(connection, declaration("signups_by_channel_daily"), start, end)
    assert rows(warehouse, "select * from growth.signups_by_channel_daily order by 1, 2") == [
        (date(2025, 3, 1), "organic", 1),
        (date(2025, 3, 1), "paid_search", 1),
        (date(2025, 3, 1), "social", 1),
        (date(2025, 3, 2), "referral", 1),
        (date(2025, 3, 3), "organic", 1),
    ]


@pytest.mark.parametrize(
    ("name", "rows_by_hand"), [("daily_active_users", 64), ("signups_by_channel_daily", 6)]
)
def test_backfill_over_a_range_equals_each_partition_on_its_own(
    tmp_path, monkeypatch: pytest.MonkeyPatch, name: str, rows_by_hand: int
) -> None:
    """March..April in one run, and each month in its own run in a shuffled order, write the
    same rows. With u6 signing up (paid_search) and active on 04-30, by hand: DAU has a row for
    every day, 3 look-back days before March + 31 + 30 = 64; signups 5 rows in March (module
    docstring) + 1 on 04-30 = 6."""
    users = [*USERS, (6, "2025-04-30 20:00:00+00", "paid_search")]
    events = [*EVENTS, (10, 6, "2025-04-30 21:00:00+00")]
    backfilled = Warehouse(database=str(tmp_path / "backfill.duckdb"))
    by_partition = Warehouse(database=str(tmp_path / "by_partition.duckdb"))
    for target in (backfilled, by_partition):
        load_raw(target, users, events)
    materialize_range(backfilled, name, MARCH, APRIL)
    for month in random.Random(3).sample([MARCH, APRIL], 2):
        materialize_range(by_partition, name, month, month)
    table = declaration(name).qualified_name
    expected = rows(backfilled, f"select * from {table} order by all")
    assert len(expected) == rows_by_hand
    assert rows(by_partition, f"select * from {table} order by all") == expected


def test_rerunning_a_partition_changes_nothing_and_late_data_is_picked_up(
    warehouse: Warehouse,
) -> None:
    """March written, then March again: the same 34 rows (3 look-back days and 31). A late event
    of u5 on 03-02 arrives and March is re-run: DAU 03-02 goes from 3 to 4 (u1, u2, u3, u5),
    every other day of the month stays as it was."""
    load_raw(warehouse)
    materialize_range(warehouse, "daily_active_users", MARCH, MARCH)
    before = rows(warehouse, "select * from growth.daily_active_users order by all")
    assert before == MARCH_DAU
    materialize_range(warehouse, "daily_active_users", MARCH, MARCH)
    assert rows(warehouse, "select * from growth.daily_active_users order by all") == before
    with warehouse.get_connection() as connection:  # a late event for u5 on 03-02
        connection.execute(
            "insert into raw.events values (9, 5, '2025-03-02 23:00:00+00', 'session_start', 'x')"
        )
    materialize_range(warehouse, "daily_active_users", MARCH, MARCH)
    after = rows(warehouse, "select * from growth.daily_active_users order by all")
    assert after == [(day, 4 if day == date(2025, 3, 2) else dau) for day, dau in MARCH_DAU]


def test_a_query_returning_rows_outside_its_window_is_refused(warehouse: Warehouse) -> None:
    load_raw(warehouse)
    leaky = declaration("daily_active_users")
    leaky = type(leaky)(**{**leaky.__dict__, "sql": "select date '2025-01-01' as activity_date"})
    start, end = new_york_window(date(2025, 3, 1), date(2025, 3, 2))
    with warehouse.get_connection() as connection, pytest.raises(ValueError, match="outside"):
        write_window(connection, leaky, start, end)


def test_every_declaration_has_its_query_file_and_known_dependencies() -> None:
    raw_tables = set(load_contract())
    declared = load_declarations()
    assert {d.name for d in declared} >= {"daily_active_users", "signups_by_channel_daily"}
    for item in declared:
        assert item.sql.strip()
        for dep in item.deps:
            schema, table = dep.split("/")
            assert schema != "raw" or table in raw_tables, dep
