"""The quarterly Performance Report (reliability) and Optimization Report (delivery) on small
hand-worked inputs (times UTC, the reporting timezone of the tests). Each report is as of the
data's last day, 2025-10-01: the last complete quarter is 2025-Q3, compared with 2025-Q2.

Probes (service, quarter: successful latencies in ms; failures; customer-facing api and web):
  api   Q1 03-31 23:00 5000 (before Q2: ignored); Q2 100, 200, 300, 400, 500;
        Q3 100, 200, 300, 400, 600; Q4 10-01 00:30 9000 (running quarter: ignored).
  web   Q2 200 x 4; Q3 200 x 4 and one failed probe, and a probe of 9999 ms in planned
        maintenance (left out of latency and uptime).
  batch (not customer-facing) Q2 1000; Q3 1050.
By hand (quantile_cont, position (n - 1) x q between the sorted values):
  api  Q2 p50 300, p95 at 3.8: 400 + 0.8 x 100 = 480, p99 at 3.96: 496; Q3 p50 300, p95
       400 + 0.8 x 200 = 560 (+80 / 480 = +16.7 %: regressed), p99 400 + 0.96 x 200 = 592
       (+96 / 496 = +19.4 %). Uptime 5/5 = 100 % both quarters.
  web  p50 = p95 = p99 = 200 both quarters (0 %); uptime Q2 4/4 = 100 %, Q3 4/5 = 80 %
       (-20 pp, below the SLO 99.9 %: regressed).
  batch 1000 -> 1050 ms, +5 % (not more than 10 %); uptime 100 %.
  overall (api + web) Q2 9/9 = 100 %, Q3 9/10 = 90 % (-10 pp, below the SLO: regressed).

Work items (started -> done, cycle time in days; team platform or growth):
  p1 feature platform 04-01 -> 04-03 2    p2 bug growth 04-10 -> 04-14 4
  p3 feature growth 05-01 -> 05-07 6      p4 chore platform 06-20 -> 07-10 20 (done in Q3)
  q1 feature platform 07-01 -> 07-02 1    q2 bug growth 07-10 -> 07-13 3
  q3 bug platform 08-01 -> 08-05 4        q4 feature growth started 09-15, not done
  q5 chore growth started 09-25, done 10-01 12:00 (done in Q4)
By hand, all work:
  Q2 done p1, p2, p3: 2, 4, 6 -> median 4, p85 at 1.7: 4 + 0.7 x 2 = 5.4; throughput 3; WIP
     at Q2's end p4 = 1.
  Q3 done 1, 3, 4, 20 -> median 3.5, p85 at 2.55: 4 + 0.55 x 16 = 12.8; throughput 4; WIP at
     Q3's end q4, q5 = 2; improvement (4 - 3.5) / 4 = 12.5 %.
  feature Q2 2, 6 -> 4; Q3 1 -> (4 - 1) / 4 = 75 %. bug Q2 4; Q3 3, 4 -> 3.5: 12.5 %.
  chore Q2 none (throughput 0); Q3 20, no improvement. platform Q2 2; Q3 1, 4, 20 -> 4:
  (2 - 4) / 2 = -100 %. growth Q2 4, 6 -> 5; Q3 3: (5 - 3) / 5 = 40 %.
Incidents (detected -> resolved, minutes): i0 01-05 10:00 -> 11:30 90 (Q1); i1 04-10 10:00 ->
  11:00 60 (Q2); i2 06-30 23:00 -> 07-01 01:00 120 (resolved in Q3); i3 08-01 00:00 -> 00:30 30
  (Q3); i4 09-20 open (no MTTR); i5 10-01 08:00 -> 09:00 (Q4, running: ignored).
  MTTR Q1 90; Q2 60 ((60 - 90) / 90 = -33.3 %); Q3 (120 + 30) / 2 = 75, median 75,
  (75 - 60) / 60 = +25 %.
"""

import dagster as dg
import pytest
from report_runs import materialize

from nexus_pipelines.domains.reliability import build_assets
from nexus_pipelines.ingest import ensure_ingest_tables
from nexus_pipelines.project import project
from nexus_pipelines.reports import build_report_assets
from nexus_pipelines.sql_assets import build_sql_asset, load_declarations
from nexus_pipelines.warehouse import Warehouse

PERFORMANCE = dg.AssetKey(["reliability", "quarterly_performance_report"])
OPTIMIZATION = dg.AssetKey(["delivery", "optimization_report"])
SERVICES = [("api", True), ("web", True), ("batch", False)]
PROBES = [  # service, checked_at (UTC), ok, latency_ms, planned_maintenance
    ("api", "2025-03-31 23:00", True, 5000.0, False),
    *(("api", f"2025-05-0{n} 10:00", True, ms, False) for n, ms in enumerate(
        [100.0, 200.0, 300.0, 400.0, 500.0], start=1)),
    *(("api", f"2025-08-0{n} 10:00", True, ms, False) for n, ms in enumerate(
        [100.0, 200.0, 300.0, 400.0, 600.0], start=1)),
    ("api", "2025-10-01 00:30", True, 9000.0, False),
    *(("web", f"2025-05-0{n} 10:00", True, 200.0, False) for n in range(1, 5)),
    *(("web", f"2025-08-0{n} 10:00", True, 200.0, False) for n in range(1, 5)),
    ("web", "2025-08-05 10:00", False, None, False),
    ("web", "2025-08-06 10:00", True, 9999.0, True),
    ("batch", "2025-05-01 10:00", True, 1000.0, False),
    ("batch", "2025-08-01 10:00", True, 1050.0, False),
]  # fmt: skip
ITEMS = [  # id, type, team, started, done
    ("p1", "feature", "platform", "2025-04-01 00:00", "2025-04-03 00:00"),
    ("p2", "bug", "growth", "2025-04-10 00:00", "2025-04-14 00:00"),
    ("p3", "feature", "growth", "2025-05-01 00:00", "2025-05-07 00:00"),
    ("p4", "chore", "platform", "2025-06-20 00:00", "2025-07-10 00:00"),
    ("q1", "feature", "platform", "2025-07-01 00:00", "2025-07-02 00:00"),
    ("q2", "bug", "growth", "2025-07-10 00:00", "2025-07-13 00:00"),
    ("q3", "bug", "platform", "2025-08-01 00:00", "2025-08-05 00:00"),
    ("q4", "feature", "growth", "2025-09-15 00:00", None),
    ("q5", "chore", "growth", "2025-09-25 00:00", "2025-10-01 12:00"),
]
INCIDENTS = [  # id, severity, service, detected, resolved
    ("i0", "P2", "api", "2025-01-05 10:00", "2025-01-05 11:30"),
    ("i1", "P1", "api", "2025-04-10 10:00", "2025-04-10 11:00"),
    ("i2", "P2", "web", "2025-06-30 23:00", "2025-07-01 01:00"),
    ("i3", "P0", "api", "2025-08-01 00:00", "2025-08-01 00:30"),
    ("i4", "P3", "web", "2025-09-20 00:00", None),
    ("i5", "P2", "api", "2025-10-01 08:00", "2025-10-01 09:00"),
]


def utc(value: str | None) -> str | None:
    return f"{value}:00+00" if value else None


def sql_asset(name: str) -> dg.AssetsDefinition:
    return build_sql_asset(next(d for d in load_declarations() if d.name == name))


def report_asset(key: dg.AssetKey) -> dg.AssetsDefinition:
    return next(a for a in build_report_assets() if key in a.keys)


def render(warehouse: Warehouse, key: dg.AssetKey, upstream: list[dg.AssetsDefinition]) -> str:
    """Materialise the tables the report reads, then the report; its markdown."""
    result = materialize([*upstream, report_asset(key)], resources={"warehouse": warehouse})
    assert result.success
    (event,) = result.asset_materializations_for_node("__".join(key.path))
    return event.metadata["report"].value


def section(text: str, title: str) -> list[str]:
    """The lines of the section with this title (up to the next heading)."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("#") and title in line)
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("#")), len(lines))
    return [line for line in lines[start + 1 : end] if line.strip()]


def load_probes(warehouse: Warehouse, probes: list[tuple]) -> None:
    with warehouse.get_connection() as connection:
        ensure_ingest_tables(connection)
        connection.executemany("insert into raw.services values ($1, null, $2)", SERVICES)
        connection.executemany(
            "insert into raw.health_checks values ($1, $2::timestamptz, $3, $4, $5)",
            [(s, utc(at), ok, ms, maintenance) for s, at, ok, ms, maintenance in probes],
        )


def performance_report(warehouse: Warehouse) -> str:
    return render(warehouse, PERFORMANCE, [sql_asset("uptime_monthly")])


def test_performance_report_compares_the_last_complete_quarter_and_flags_regressions(
    warehouse: Warehouse,
) -> None:
    """Q3 against Q2 (module docstring): api's p95 rose 16.7 % (> 10 %), web and overall are
    below the 99.9 % SLO; batch's +5 % is no regression. The Q1 and Q4 probes count nowhere."""
    load_probes(warehouse, PROBES)
    text = performance_report(warehouse)
    assert section(text, "Quarter compared")[2:] == [
        "| 2025-Q3 | 2025-07-01 | 2025-09-30 | 2025-Q2 |"
    ]
    assert section(text, "Regressions")[2:] == [
        "| api | p95 latency | p95 560.0 ms, up 16.7 % from 480.0 ms (rule: up more than 10 %) |",
        "| web | uptime | uptime 80.000 % below the SLO 99.9 % |",
        "| overall | uptime | uptime 90.000 % below the SLO 99.9 % |",
    ]
    latency = section(text, "Latency per service")
    assert latency[0] == (
        "| service_id | p50_ms | previous_p50_ms | p50_change_pct | p95_ms | previous_p95_ms "
        "| p95_change_pct | p99_ms | previous_p99_ms | p99_change_pct |"
    )
    assert latency[2:] == [
        "| api | 300.00 | 300.00 | 0.00 | 560.00 | 480.00 | 16.70 | 592.00 | 496.00 | 19.40 |",
        "| batch | 1,050.00 | 1,000.00 | 5.00 | 1,050.00 | 1,000.00 | 5.00 | 1,050.00 "
        "| 1,000.00 | 5.00 |",
        "| web | 200.00 | 200.00 | 0.00 | 200.00 | 200.00 | 0.00 | 200.00 | 200.00 | 0.00 |",
    ]
    assert section(text, "Uptime per service")[2:] == [
        "| api | 5 | 100.00 | 100.00 | 0.00 | 99.90 | no |",
        "| batch | 1 | 100.00 | 100.00 | 0.00 | 99.90 | no |",
        "| web | 5 | 80.00 | 100.00 | -20.00 | 99.90 | yes |",
        "| overall | 10 | 90.00 | 100.00 | -10.00 | 99.90 | yes |",
    ]


def test_performance_report_says_so_when_the_quarter_has_no_probes(warehouse: Warehouse) -> None:
    """Probes only on 2025-10-01 (Q4, running): Q3, the last complete quarter, has none, so the
    regressions section says no probes were loaded rather than "no service regressed"."""
    load_probes(warehouse, [("api", "2025-10-01 00:30", True, 9000.0, False)])
    text = performance_report(warehouse)
    assert section(text, "Regressions")[2:] == [
        "|  |  | no health-check probes loaded for the quarter |"
    ]
    assert section(text, "Latency per service") == ["_no rows_"]


def test_performance_report_without_a_regression_says_none(warehouse: Warehouse) -> None:
    """batch's probes and api's of 2025-10-01 (so the report is as of that day and judges Q3):
    in Q3 batch alone (not customer-facing, so no 'overall'), +5 % p95, 100 % uptime: none."""
    load_probes(warehouse, [p for p in PROBES if p[0] == "batch" or p[1] == "2025-10-01 00:30"])
    text = performance_report(warehouse)
    assert section(text, "Regressions")[2:] == ["|  |  | no service regressed |"]


def test_performance_report_says_what_it_cannot_compare_in_the_first_quarter_of_data(
    warehouse: Warehouse,
) -> None:
    """The Q3 probes and api's of 2025-10-01 (the data starts in Q3): uptime is judged (web 80 %
    and overall 90 % below the SLO), but no p95 can be compared, and the section says so; the
    quarter before's columns stay empty."""
    load_probes(warehouse, [p for p in PROBES if p[1][:7] in ("2025-08", "2025-10")])
    text = performance_report(warehouse)
    assert section(text, "Regressions")[2:] == [
        "| web | uptime | uptime 80.000 % below the SLO 99.9 % |",
        "| overall | uptime | uptime 90.000 % below the SLO 99.9 % |",
        "|  | p95 latency | not compared: no latency probes in the quarter before |",
    ]
    assert section(text, "Latency per service")[2] == (
        "| api | 300.00 |  |  | 560.00 |  |  | 592.00 |  |  |"
    )


@pytest.fixture
def delivery_and_incidents(warehouse: Warehouse) -> Warehouse:
    with warehouse.get_connection() as connection:
        ensure_ingest_tables(connection)
        connection.executemany(
            "insert into raw.work_items "
            "(work_item_id, item_type, team, created_at, started_at, done_at) "
            "values ($1, $2, $3, '2025-04-01 00:00:00+00', "
            "$4::timestamptz, $5::timestamptz)",
            [(i, kind, team, utc(s), utc(d)) for i, kind, team, s, d in ITEMS],
        )
        connection.executemany(
            "insert into raw.incidents values ($1, $2, $3, 'test', $4::timestamptz, "
            "$4::timestamptz, $5::timestamptz, null, null)",
            [(i, sev, service, utc(d), utc(r)) for i, sev, service, d, r in INCIDENTS],
        )
    return warehouse


def optimization_report(warehouse: Warehouse) -> str:
    feed, *_ = build_assets(project())
    upstream = [
        feed,
        *(sql_asset(n) for n in ("incidents", "work_item_flow", "cycle_time_quarterly")),
    ]
    return render(warehouse, OPTIMIZATION, upstream)


def test_optimization_report_cycle_time_throughput_wip_and_mttr_by_hand(
    delivery_and_incidents: Warehouse,
) -> None:
    """Q3 against Q2 (module docstring): median 4 -> 3.5 days (12.5 % faster), p85 5.4 -> 12.8,
    throughput 3 -> 4, WIP 1 -> 2; MTTR 90, 60, 75 minutes in Q1-Q3, Q4's incident left out."""
    text = optimization_report(delivery_and_incidents)
    assert section(text, "Process improvement") == ["**12.50** %"]
    flow = section(text, "Flow, last complete quarter")
    assert flow[0] == (
        "| quarter | item_type | team | throughput | previous_throughput | wip_at_quarter_end "
        "| previous_wip_at_quarter_end | cycle_time_median_days | previous_median_days "
        "| cycle_time_p85_days | previous_p85_days | improvement_pct |"
    )
    assert flow[2:] == [
        "| 2025-Q3 | all | all | 4 | 3 | 2 | 1 | 3.50 | 4.00 | 12.80 | 5.40 | 12.50 |",
        "| 2025-Q3 | bug | all | 2 | 1 | 0 | 0 | 3.50 | 4.00 | 3.85 | 4.00 | 12.50 |",
        "| 2025-Q3 | chore | all | 1 | 0 | 1 | 1 | 20.00 |  | 20.00 |  |  |",
        "| 2025-Q3 | feature | all | 1 | 2 | 1 | 0 | 1.00 | 4.00 | 1.00 | 5.40 | 75.00 |",
        "| 2025-Q3 | all | growth | 1 | 2 | 2 | 0 | 3.00 | 5.00 | 3.00 | 5.70 | 40.00 |",
        "| 2025-Q3 | all | platform | 3 | 1 | 0 | 1 | 4.00 | 2.00 | 15.20 | 2.00 | -100.00 |",
    ]
    assert section(text, "Flow per quarter")[2:] == [
        "| 2025-04-01 | 3 | 1 | 4.00 | 5.40 |  |",
        "| 2025-07-01 | 4 | 2 | 3.50 | 12.80 | 12.50 |",
    ]
    assert "![Cycle time per quarter" in "\n".join(section(text, "Cycle time per quarter"))
    assert section(text, "MTTR per quarter")[2:] == [
        "| 2025-01-01 | 1 | 90.00 | 90.00 |  |",
        "| 2025-04-01 | 1 | 60.00 | 60.00 | -33.30 |",
        "| 2025-07-01 | 2 | 75.00 | 75.00 | 25.00 |",
    ]


def test_optimization_report_leaves_the_quarter_before_empty_when_the_data_starts_later(
    delivery_and_incidents: Warehouse,
) -> None:
    """Without the Q2 items (p1-p4) the data starts in Q3: Q3 all work is q1, q2, q3 done (1, 3,
    4 -> median 3, p85 at 1.7: 3 + 0.7 x 1 = 3.7), WIP q4, q5 = 2; the quarter before has no
    row, so its throughput and WIP read empty (not "<NA>", not 0) and the improvement is no
    data."""
    with delivery_and_incidents.get_connection() as connection:
        connection.execute("delete from raw.work_items where work_item_id like 'p%'")
    text = optimization_report(delivery_and_incidents)
    assert section(text, "Process improvement") == ["_no data_"]
    assert section(text, "Flow, last complete quarter")[2] == (
        "| 2025-Q3 | all | all | 3 |  | 2 |  | 3.00 |  | 3.70 |  |  |"
    )
