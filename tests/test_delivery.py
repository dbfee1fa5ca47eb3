"""Delivery flow on hand-worked work items over three quarters of 2025 (times UTC, days exact).

Items (id, type, team, started -> done, cycle time in days):
  Q1  a1 feature platform 01-06 -> 01-10  4      a2 bug   growth   01-13 -> 01-15  2
      a3 feature growth   02-03 -> 02-13 10      a4 chore platform 03-03 -> 03-09  6
  Q2  b1 feature platform 03-28 -> 04-01  4 (started in Q1: in Q1's end WIP, done in Q2)
      b2 bug     growth   04-07 -> 04-08  1      b3 feature growth 05-05 -> 05-08  3
  Q3  b4 feature platform 06-20 -> 07-05 15 (in Q2's end WIP)
      c1 bug     growth   07-07 00:00 -> 07-09 12:00  2.5
      c2 chore   platform 08-04 00:00 -> 08-05 12:00  1.5
      c3 feature growth   09-01 00:00 -> 09-03 21:36  2.9
  Odd ones: d1 bug platform started 08-10, done 08-09: done before it started, quarantined
  (counted nowhere); d2 chore growth done 09-10 without a start (throughput, no cycle time);
  d3 feature growth never started; d4 bug platform started 09-20, d5 chore growth started 02-20,
  d6 feature platform started 05-20: all three still in progress.

By hand, all items:
  Q1 done a1..a4: 2, 4, 6, 10 -> median (4 + 6) / 2 = 5 (even count); p85 at rank 3 x 0.85 =
     2.55: 6 + 0.55 x (10 - 6) = 8.2. Throughput 4; started a1..a4, b1, d5 = 6; WIP at the
     end: b1, d5 = 2. No quarter before: no improvement.
  Q2 done b1, b2, b3: 1, 3, 4 -> median 3; improvement (5 - 3) / 5 x 100 = 40 %. Throughput 3;
     started b2, b3, b4, d6 = 4; WIP at the end: b4, d5, d6 = 3.
  Q3 done b4, c1, c2, c3 (timed) and d2 (not timed): 1.5, 2.5, 2.9, 15 -> median
     (2.5 + 2.9) / 2 = 2.7; improvement (3 - 2.7) / 3 x 100 = 10 %. Throughput 5, timed 4;
     started c1, c2, c3, d4 = 4 (d1 quarantined, d2 no start); WIP at the end: d4, d5, d6 = 3.
By type: feature Q1 4, 10 -> 7; Q2 4, 3 -> 3.5 (50 %); Q3 15, 2.9 -> 8.95
  ((3.5 - 8.95) / 3.5 = -155.714 %). bug Q1 2; Q2 1 (50 %); Q3 2.5 (-150 %). chore Q1 6; Q2
  none (throughput 0, no median, no improvement); Q3 1.5 (timed c2) with d2: throughput 2, no
  improvement (no Q2 median).
By team: platform Q1 4, 6 -> 5; Q2 b1 4 -> 20 %. growth Q1 2, 10 -> 6; Q2 1, 3 -> 2 -> 66.667 %.

Scorecard (the last quarter complete on the day against the one before): 2025-06-29 scores Q1
(no quarter before it: no data); 06-30 (Q2's last day) and 07-01 score Q2, 40 % (met, >= 20);
09-29 still Q2, 40 %; 09-30 and 10-01 score Q3, 10 % (missed).
"""

from datetime import UTC, date, datetime, timedelta

import dagster as dg
import pandas as pd
import pytest
from pictures import decoded_png

from nexus_pipelines.ingest import ensure_ingest_tables
from nexus_pipelines.scorecard import compute_days
from nexus_pipelines.sql_assets import build_sql_asset, load_declarations
from nexus_pipelines.warehouse import Warehouse

ITEMS = [
    ("a1", "feature", "platform", "2025-01-06 00:00", "2025-01-10 00:00"),
    ("a2", "bug", "growth", "2025-01-13 00:00", "2025-01-15 00:00"),
    ("a3", "feature", "growth", "2025-02-03 00:00", "2025-02-13 00:00"),
    ("a4", "chore", "platform", "2025-03-03 00:00", "2025-03-09 00:00"),
    ("b1", "feature", "platform", "2025-03-28 00:00", "2025-04-01 00:00"),
    ("b2", "bug", "growth", "2025-04-07 00:00", "2025-04-08 00:00"),
    ("b3", "feature", "growth", "2025-05-05 00:00", "2025-05-08 00:00"),
    ("b4", "feature", "platform", "2025-06-20 00:00", "2025-07-05 00:00"),
    ("c1", "bug", "growth", "2025-07-07 00:00", "2025-07-09 12:00"),
    ("c2", "chore", "platform", "2025-08-04 00:00", "2025-08-05 12:00"),
    ("c3", "feature", "growth", "2025-09-01 00:00", "2025-09-03 21:36"),
    ("d1", "bug", "platform", "2025-08-10 00:00", "2025-08-09 00:00"),
    ("d2", "chore", "growth", None, "2025-09-10 00:00"),
    ("d3", "feature", "growth", None, None),
    ("d4", "bug", "platform", "2025-09-20 00:00", None),
    ("d5", "chore", "growth", "2025-02-20 00:00", None),
    ("d6", "feature", "platform", "2025-05-20 00:00", None),
]
Q1, Q2, Q3 = date(2025, 1, 1), date(2025, 4, 1), date(2025, 7, 1)
FLOW = ["work_item_flow", "cycle_time_quarterly"]


def sql_asset(name: str) -> dg.AssetsDefinition:
    return build_sql_asset(next(d for d in load_declarations() if d.name == name))


def load_items(warehouse: Warehouse, items: list[tuple]) -> None:
    """Every item filed on 2025-01-01 (filing plays no part in cycle time)."""
    with warehouse.get_connection() as connection:
        ensure_ingest_tables(connection)
        connection.executemany(
            "insert into raw.work_items "
            "(work_item_id, item_type, team, created_at, started_at, done_at) "
            "values ($1, $2, $3, '2025-01-01 00:00:00+00', "
            "$4::timestamptz, $5::timestamptz)",
            [
                (i, kind, team, f"{s}:00+00" if s else None, f"{d}:00+00" if d else None)
                for i, kind, team, s, d in items
            ],
        )


def materialize_flow(warehouse: Warehouse) -> dg.ExecuteInProcessResult:
    result = dg.materialize([sql_asset(name) for name in FLOW], resources={"warehouse": warehouse})
    assert result.success
    return result


@pytest.fixture
def flow(warehouse: Warehouse) -> tuple[Warehouse, dg.ExecuteInProcessResult]:
    load_items(warehouse, ITEMS)
    return warehouse, materialize_flow(warehouse)


def quarterly(warehouse: Warehouse, where: str) -> dict[date, tuple]:
    with warehouse.get_connection(read_only=True) as connection:
        rows = connection.execute(
            "select quarter, throughput, items_timed, items_started, wip_at_quarter_end, "
            "cycle_time_median_days, previous_median_days, improvement_pct "
            f"from delivery.cycle_time_quarterly where {where} order by quarter"
        ).fetchall()
    return {row[0]: tuple(pytest.approx(v) if isinstance(v, float) else v for v in row[1:])
            for row in rows}  # fmt: skip


def test_cycle_times_medians_and_improvement_by_hand(flow) -> None:
    warehouse, _ = flow
    assert quarterly(warehouse, "item_type = 'all' and team = 'all'") == {
        Q1: (4, 4, 6, 2, 5.0, None, None),
        Q2: (3, 3, 4, 3, 3.0, 5.0, 40.0),
        Q3: (5, 4, 4, 3, 2.7, 3.0, 10.0),
    }
    with warehouse.get_connection(read_only=True) as connection:
        [(p85, complete)] = connection.execute(
            "select cycle_time_p85_days, is_complete from delivery.cycle_time_quarterly "
            "where quarter = '2025-01-01' and item_type = 'all' and team = 'all'"
        ).fetchall()
    assert p85 == pytest.approx(8.2)
    assert complete is True


def test_medians_by_type_and_team_by_hand(flow) -> None:
    warehouse, _ = flow
    medians = {
        kind: {q: (row[0], row[4], row[6]) for q, row in quarterly(
            warehouse, f"item_type = '{kind}' and team = 'all'").items()}
        for kind in ("feature", "bug", "chore")
    }  # fmt: skip
    assert medians["feature"] == {
        Q1: (2, 7.0, None),
        Q2: (2, 3.5, 50.0),
        Q3: (2, 8.95, pytest.approx(100 * (3.5 - 8.95) / 3.5)),
    }
    assert medians["bug"] == {Q1: (1, 2.0, None), Q2: (1, 1.0, 50.0), Q3: (1, 2.5, -150.0)}
    assert medians["chore"] == {Q1: (1, 6.0, None), Q2: (0, None, None), Q3: (2, 1.5, None)}
    teams = {
        team: quarterly(warehouse, f"item_type = 'all' and team = '{team}'")[Q2][4:]
        for team in ("platform", "growth")
    }
    assert teams == {"platform": (4.0, 5.0, 20.0), "growth": (2.0, 6.0, pytest.approx(200 / 3))}


def test_an_item_done_before_it_started_is_quarantined_and_flagged(flow) -> None:
    warehouse, result = flow
    with warehouse.get_connection(read_only=True) as connection:
        states = dict(
            connection.execute(
                "select work_item_id, (flow_state, flow_issue, cycle_time_days) "
                "from delivery.work_item_flow where work_item_id in ('d1', 'd2', 'd3', 'd4', 'c1')"
            ).fetchall()
        )
    assert states == {
        "d1": ("quarantined", "done before it started", None),
        "d2": ("done", "done without a start", None),
        "d3": ("not_started", None, None),
        "d4": ("in_progress", None, None),
        "c1": ("done", None, 2.5),
    }
    checks = {c.check_name: c for c in result.get_asset_check_evaluations()}
    flagged = checks["no_item_done_before_started"]
    assert not flagged.passed and flagged.severity == dg.AssetCheckSeverity.WARN
    assert flagged.metadata["items_done_before_started"].value == 1
    assert flagged.metadata["example_work_item_ids"].value == "d1"
    # every write rule held on both tables (keys unique, cycle times never negative)
    rules = [c for c in result.get_asset_check_evaluations() if c.check_name == "write_rules"]
    assert [c.passed for c in rules] == [True, True]


def test_scorecard_scores_the_last_complete_quarter_across_the_boundary(flow) -> None:
    warehouse, _ = flow
    with warehouse.get_connection(read_only=True) as connection:
        days = compute_days(connection, date(2025, 6, 29), date(2025, 10, 1))
    scored = {
        row.as_of: (row.value, row.status)
        for row in days
        if row.metric == "process_improvement_pct"
        and row.as_of in ("2025-06-29", "2025-06-30", "2025-07-01", "2025-09-29", "2025-09-30",
                          "2025-10-01")
    }  # fmt: skip
    assert scored == {
        "2025-06-29": (None, "no data"),
        "2025-06-30": (40.0, "met"),
        "2025-07-01": (40.0, "met"),
        "2025-09-29": (40.0, "met"),
        "2025-09-30": (pytest.approx(10.0), "missed"),
        "2025-10-01": (pytest.approx(10.0), "missed"),
    }


def test_the_asset_page_shows_the_latest_complete_improvement_and_the_chart(
    warehouse: Warehouse,
) -> None:
    """A running quarter (the current one) has a median so far but no improvement and no end
    WIP; the headline stays on the last complete quarter. Q1 2025: one item of 4 days; Q2: one
    of 2 days -> (4 - 2) / 4 = 50 %. The current quarter: one item of 1 hour."""
    now = datetime.now(UTC)
    current = datetime(now.year, 3 * ((now.month - 1) // 3) + 1, 1, tzinfo=UTC)
    stamp = "%Y-%m-%d %H:%M"
    load_items(
        warehouse,
        [
            ("q1", "bug", "infra", "2025-02-01 00:00", "2025-02-05 00:00"),
            ("q2", "bug", "infra", "2025-05-01 00:00", "2025-05-03 00:00"),
            ("now", "bug", "infra", (current + timedelta(hours=1)).strftime(stamp),
             (current + timedelta(hours=2)).strftime(stamp)),
        ],
    )  # fmt: skip
    result = materialize_flow(warehouse)
    with warehouse.get_connection(read_only=True) as connection:
        running = connection.execute(
            "select is_complete, throughput, wip_at_quarter_end, cycle_time_median_days, "
            "improvement_pct from delivery.cycle_time_quarterly "
            "where quarter = $current and item_type = 'all' and team = 'all'",
            {"current": current.date()},
        ).fetchall()
    assert running == [(False, 1, None, pytest.approx(1 / 24), None)]
    [event] = [
        e.materialization
        for e in result.get_asset_materialization_events()
        if e.asset_key.path[-1] == "cycle_time_quarterly"
    ]
    assert event.metadata["process_improvement_pct"].value == 50.0
    chart = decoded_png(event.metadata["cycle_time_chart"].value)
    assert chart.width > 400 and chart.height > 300


def test_chart_draws_one_line_per_type_and_all(flow) -> None:
    """The chart's median lines: all items, bug, chore, feature, each over the three quarters
    (chore has no Q2 median, a gap)."""
    from nexus_pipelines.domains.delivery import cycle_time_chart

    warehouse, _ = flow
    with warehouse.get_connection(read_only=True) as connection:
        frame = connection.execute(
            "select * from delivery.cycle_time_quarterly where team = 'all'"
        ).df()
    figure = cycle_time_chart(frame)
    medians = figure.axes[0]
    lines = {line.get_label(): list(line.get_ydata()) for line in medians.get_lines()}
    assert set(lines) == {"all items", "bug", "chore", "feature"}
    assert lines["all items"] == pytest.approx([5.0, 3.0, 2.7])
    assert pd.isna(lines["chore"][1])
