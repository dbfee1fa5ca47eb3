"""One write path: rules are checked inside the transaction, so a write that breaks them leaves
the previous rows in place; a partition window carries the timezone it was cut in to its query."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import dagster as dg
import pytest

from nexus_pipelines.project import Project
from nexus_pipelines.sql_assets import build_sql_assets, load_declarations, write_window
from nexus_pipelines.warehouse import RuleViolation, TableRules, Warehouse, replace_where

BOARD = """\
sql_assets:
  - name: board
    owner: Sprint Prioritizer
    cadence: weekly
    partitions: none
    key: [ticket_id]
    non_negative: [points]
    columns: {ticket_id: The ticket., points: Its estimate in story points.}
    description: One row per ticket on the board, from delivery.tickets.
  - name: local_days
    owner: Sprint Prioritizer
    cadence: daily
    partitions: days_by_month
    partition_column: day
    key: [day]
    columns: {day: A reporting day., zone: The timezone the window was cut in.}
    description: The reporting days each window covers, and the zone it was cut in.
"""


def delivery_project(root: Path) -> Project:
    (root / "assets" / "domains" / "delivery").mkdir(parents=True)
    (root / "assets" / "domains" / "delivery" / "assets.yaml").write_text(BOARD)
    (root / "sql" / "delivery").mkdir(parents=True)
    (root / "sql" / "delivery" / "board.sql").write_text(
        "select ticket_id, points from delivery.tickets\n"
    )
    (root / "sql" / "delivery" / "local_days.sql").write_text(
        "select day::date as day, $reporting_timezone as zone from range("
        "timezone($reporting_timezone, $window_start)::date, "
        "timezone($reporting_timezone, $window_end)::date, interval 1 day) as days(day)\n"
    )
    return Project(root)


def test_a_write_breaking_its_key_leaves_the_previous_rows(tmp_path: Path) -> None:
    warehouse = Warehouse(database=str(tmp_path / "w.duckdb"), schemas=["delivery"])
    rules = TableRules(key=("id",), non_negative=("n",))
    with warehouse.get_connection() as connection:
        replace_where(connection, "delivery.t", "select 1 as id, 5 as n union all select 2, 7")
        with pytest.raises(RuleViolation, match="the previous rows stay"):
            replace_where(
                connection,
                "delivery.t",
                "select 1 as id, 5 as n union all select 1, 6",
                rules=rules,
            )
        with pytest.raises(RuleViolation):
            replace_where(connection, "delivery.t", "select 3 as id, -1 as n", rules=rules)
        kept = connection.execute("from delivery.t order by id").fetchall()
    assert kept == [(1, 5), (2, 7)]


def test_a_failing_key_check_fails_the_run_and_keeps_what_the_table_had(tmp_path: Path) -> None:
    source = delivery_project(tmp_path / "project")
    board = next(a for a in build_sql_assets(source) if a.key.path[-1] == "board")
    warehouse = Warehouse(database=str(tmp_path / "w.duckdb"), schemas=source.schemas)
    with warehouse.get_connection() as connection:
        connection.execute(
            "create table delivery.tickets as select 'T-1' as ticket_id, 3 as points"
        )
    assert dg.materialize([board], resources={"warehouse": warehouse}).success

    with warehouse.get_connection() as connection:  # a second T-1 and a negative estimate
        connection.execute("insert into delivery.tickets values ('T-1', 5), ('T-2', -2)")
    result = dg.materialize([board], resources={"warehouse": warehouse}, raise_on_error=False)
    assert not result.success
    assert not result.get_asset_materialization_events()
    with warehouse.get_connection(read_only=True) as connection:
        assert connection.execute("from delivery.board").fetchall() == [("T-1", 3)]


@pytest.mark.parametrize(
    ("zone", "starts_utc", "ends_utc"),
    [
        (
            "America/New_York",
            datetime(2026, 1, 1, 5, tzinfo=UTC),
            datetime(2026, 2, 1, 5, tzinfo=UTC),
        ),
        (
            "Asia/Tokyo",
            datetime(2025, 12, 31, 15, tzinfo=UTC),
            datetime(2026, 1, 31, 15, tzinfo=UTC),
        ),
        ("UTC", datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC)),
    ],
    ids=["America/New_York", "Asia/Tokyo", "UTC"],
)
def test_the_window_binds_the_timezone_it_was_cut_in(
    tmp_path: Path, zone: str, starts_utc: datetime, ends_utc: datetime
) -> None:
    """The partition 2026-01-01 of month partitions cut in the zone is January there: from local
    midnight of 01-01 to local midnight of 02-01. In UTC that is 01-01 05:00 .. 02-01 05:00 for
    New York (UTC-5 in winter) and 12-31 15:00 .. 01-31 15:00 for Tokyo (UTC+9, where a UTC
    reading would put the month's start in 2025-12 and drop 01-31). The query sees the window's
    zone, not the settings' (UTC): its rows are the 31 days 2026-01-01 .. 2026-01-31, each
    tagged with the zone."""
    source = delivery_project(tmp_path / "project")
    [declaration] = [d for d in load_declarations(source) if d.name == "local_days"]
    months = dg.MonthlyPartitionsDefinition(start_date="2024-01-01", timezone=zone, end_offset=1)
    window = months.time_window_for_partition_key("2026-01-01")
    assert (window.start, window.end) == (starts_utc, ends_utc)
    warehouse = Warehouse(database=str(tmp_path / "w.duckdb"), schemas=source.schemas)
    with warehouse.get_connection() as connection:
        written = write_window(connection, declaration, window.start, window.end)
        rows = connection.execute("from delivery.local_days order by day").fetchall()
    assert written == 31
    assert rows == [(date(2026, 1, day), zone) for day in range(1, 32)]
