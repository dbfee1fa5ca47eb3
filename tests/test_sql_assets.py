"""The SQL asset pattern on its first slice (DAU, signups by channel), with hand-worked answers.

Raw data used by every test (times UTC):
  users  u1 2025-03-01 10:00 organic | u2 2025-03-01 23:30 paid_search
         u3 2025-03-02 12:00 referral | u4 2025-03-03 09:00 organic | u5 2025-03-02 02:00 social
  events u1 03-01 10:05, u1 03-01 15:00, u2 03-02 00:10 (after midnight UTC), u3 03-02 13:00,
         u1 03-02 18:00, u4 03-02 20:00 (before u4's signup), u99 03-02 10:00 (unknown user),
         u4 03-03 09:30
By hand, UTC:  DAU 03-01 = 1 (u1), 03-02 = 3 (u1, u2, u3), 03-03 = 1 (u4), 03-04 = 0.
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
DAYS = ["2025-03-01", "2025-03-02", "2025-03-03", "2025-03-04"]


def declaration(name: str):
    return next(d for d in load_declarations() if d.name == name)


def load_raw(warehouse: Warehouse) -> None:
    with warehouse.get_connection() as connection:
        for table in load_contract().values():
            connection.execute(table.ddl())
        for user_id, signup_at, channel in USERS:
            connection.execute(
                "insert into raw.users "
                "values ($1, $2, $3, null, 'free', 'self_serve', 'DE', 'core')",
                [user_id, signup_at, channel],
            )
        for event_id, user_id, occurred_at in EVENTS:
            connection.execute(
                "insert into raw.events values ($1, $2, $3, 'session_start', 'core')",
                [event_id, user_id, occurred_at],
            )


def rows(warehouse: Warehouse, sql: str) -> list[tuple]:
    with warehouse.get_connection(read_only=True) as connection:
        return connection.execute(sql).fetchall()


def materialize_range(warehouse: Warehouse, name: str, first: str, last: str) -> None:
    result = dg.materialize(
        [build_sql_asset(declaration(name))],
        resources={"warehouse": warehouse},
        tags={
            "dagster/asset_partition_range_start": first,
            "dagster/asset_partition_range_end": last,
        },
    )
    assert result.success
    checks = result.get_asset_check_evaluations()
    assert checks and all(check.passed for check in checks)


def test_daily_active_users_by_hand_in_utc(warehouse: Warehouse) -> None:
    load_raw(warehouse)
    materialize_range(warehouse, "daily_active_users", DAYS[0], DAYS[-1])
    assert rows(warehouse, "select * from growth.daily_active_users order by 1") == [
        (date(2025, 3, 1), 1),
        (date(2025, 3, 2), 3),
        (date(2025, 3, 3), 1),
        (date(2025, 3, 4), 0),
    ]


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
            [build_sql_asset(declaration("daily_active_users"))],
            resources={"warehouse": warehouse},
            partition_key=DAYS[1],
        )
    finally:
        holder.wait(timeout=30)
    assert result.success
    retries = [
        e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_UP_FOR_RETRY
    ]
    assert len(retries) == 1 and "lock" in str(retries[0].event_specific_data.error).lower()
    assert rows(warehouse, "select * from growth.daily_active_users") == [(date(2025, 3, 2), 3)]


def test_each_partition_of_a_range_run_carries_its_own_rows_and_headline(
    warehouse: Warehouse, tmp_path
) -> None:
    """One run over 03-01..03-04, read back from a real instance. By hand (module docstring):
    user-days 03-01 u1 (2 events) | 03-02 u2, u3, u1 (1 event each; u4 before signup and u99
    unknown left out) | 03-03 u4 (1) | 03-04 none; DAU 1, 3, 1, 0."""
    load_raw(warehouse)
    (tmp_path / "dagster_home").mkdir()
    instance = dg.DagsterInstance.local_temp(tempdir=str(tmp_path / "dagster_home"))
    assets = [build_sql_asset(declaration(n)) for n in ("user_activity_days", "daily_active_users")]
    result = dg.materialize(
        assets,
        resources={"warehouse": warehouse},
        instance=instance,
        tags={
            "dagster/asset_partition_range_start": DAYS[0],
            "dagster/asset_partition_range_end": DAYS[-1],
        },
    )
    assert result.success

    def by_partition(name: str, label: str) -> dict[str, float]:
        records = instance.fetch_materializations(dg.AssetKey(["growth", name]), limit=50).records
        return {r.partition_key: r.asset_materialization.metadata[label].value for r in records}

    assert by_partition("user_activity_days", "dagster/row_count") == dict(
        zip(DAYS, [1, 3, 1, 0], strict=True)
    )
    assert by_partition("user_activity_days", "qualifying_events") == dict(
        zip(DAYS, [2.0, 3.0, 1.0, 0.0], strict=True)
    )
    assert by_partition("daily_active_users", "active_users_last_day") == dict(
        zip(DAYS, [1.0, 3.0, 1.0, 0.0], strict=True)
    )
    records = instance.fetch_materializations(
        dg.AssetKey(["growth", "daily_active_users"]), limit=50
    )
    shown = {r.partition_key: r.asset_materialization.metadata for r in records.records}
    # the newest partition alone carries a preview (of its own rows) and the schema
    assert [day for day, metadata in shown.items() if "preview" in metadata] == [DAYS[-1]]
    assert "2025-03-04 | 0" in shown[DAYS[-1]]["preview"].value
    assert "dagster/column_schema" not in shown[DAYS[0]]
    # the SQL is the asset's, once, not every event's
    assert not any("sql" in metadata for metadata in shown.values())
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
        written = write_window(connection, declaration("daily_active_users"), start, end)
    assert written == 3
    assert rows(warehouse, "select * from growth.daily_active_users order by 1") == [
        (date(2025, 3, 1), 2),
        (date(2025, 3, 2), 2),
        (date(2025, 3, 3), 1),
    ]


def test_signups_by_channel_by_hand(warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch) -> None:
    load_raw(warehouse)
    materialize_range(warehouse, "signups_by_channel_daily", DAYS[0], DAYS[-1])
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


@pytest.mark.parametrize("name", ["daily_active_users", "signups_by_channel_daily"])
def test_backfill_over_a_range_equals_each_day_on_its_own(
    tmp_path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    backfilled = Warehouse(database=str(tmp_path / "backfill.duckdb"))
    day_by_day = Warehouse(database=str(tmp_path / "daily.duckdb"))
    for target in (backfilled, day_by_day):
        load_raw(target)
    materialize_range(backfilled, name, DAYS[0], DAYS[-1])
    for day in random.Random(3).sample(DAYS, len(DAYS)):
        materialize_range(day_by_day, name, day, day)
    table = declaration(name).qualified_name
    expected = rows(backfilled, f"select * from {table} order by all")
    assert len(expected) >= 4
    assert rows(day_by_day, f"select * from {table} order by all") == expected


def test_rerunning_a_partition_changes_nothing_and_late_data_is_picked_up(
    warehouse: Warehouse,
) -> None:
    load_raw(warehouse)
    materialize_range(warehouse, "daily_active_users", DAYS[0], DAYS[-1])
    before = rows(warehouse, "select * from growth.daily_active_users order by all")
    materialize_range(warehouse, "daily_active_users", "2025-03-02", "2025-03-02")
    assert rows(warehouse, "select * from growth.daily_active_users order by all") == before
    with warehouse.get_connection() as connection:  # a late event for u5 on 03-02
        connection.execute(
            "insert into raw.events values (9, 5, '2025-03-02 23:00:00+00', 'session_start', 'x')"
        )
    materialize_range(warehouse, "daily_active_users", "2025-03-02", "2025-03-02")
    after = dict(rows(warehouse, "select * from growth.daily_active_users"))
    assert after[date(2025, 3, 2)] == 4
    assert after[date(2025, 3, 1)] == 1 and after[date(2025, 3, 4)] == 0


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
