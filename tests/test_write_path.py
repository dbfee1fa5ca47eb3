"""One write path: rules are checked inside the transaction, so a write that breaks them leaves
the previous rows in place; a partition window carries the timezone it was cut in to its query."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

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
    description: One row per ticket on the board, from delivery.tickets.
  - name: local_days
    owner: Sprint Prioritizer
    cadence: daily
    partitions: daily
    partition_column: day
    key: [day]
    description: The reporting day each window covers, and the zone it was cut in.
"""


def delivery_project(root: Path) -> Project:
    (root / "assets" / "domains" / "delivery").mkdir(parents=True)
    (root / "assets" / "domains" / "delivery" / "assets.yaml").write_text(BOARD)
    (root / "sql" / "delivery").mkdir(parents=True)
    (root / "sql" / "delivery" / "board.sql").write_text(
        "select ticket_id, points from delivery.tickets\n"
    )
    (root / "sql" / "delivery" / "local_days.sql").write_text(
        "select timezone($reporting_timezone, $window_start)::date as day, "
        "$reporting_timezone as zone\n"
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


@pytest.mark.parametrize("zone", ["America/New_York", "Asia/Tokyo", "UTC"])
def test_the_window_binds_the_timezone_it_was_cut_in(tmp_path: Path, zone: str) -> None:
    """Midnight of 2026-01-05 in the zone is still 2026-01-05 there (in UTC it is 01-04 15:00 for
    Tokyo, 01-05 05:00 for New York): the query sees the window's zone, not the settings'."""
    source = delivery_project(tmp_path / "project")
    [declaration] = [d for d in load_declarations(source) if d.name == "local_days"]
    tz = ZoneInfo(zone)
    warehouse = Warehouse(database=str(tmp_path / "w.duckdb"), schemas=source.schemas)
    with warehouse.get_connection() as connection:
        written = write_window(
            connection,
            declaration,
            datetime(2026, 1, 5, tzinfo=tz),
            datetime(2026, 1, 6, tzinfo=tz),
        )
        rows = connection.execute("from delivery.local_days").fetchall()
    assert written == 1
    assert rows == [(date(2026, 1, 5), zone)]
