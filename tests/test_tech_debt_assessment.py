"""The quarterly Tech Debt Assessment (delivery) on small hand-worked inputs (times UTC, the
reporting timezone of the tests). The data's last day, 2025-08-20, is the as-of day: this
quarter is 2025-Q3 from 07-01 to 08-20, the quarter before is the whole of 2025-Q2.

Work items (type, created -> started -> done; t* are tech debt):
  t1 created 01-10, not started               open, age 08-20 - 01-10 = 21+28+31+30+31+30+31+20
                                              = 222 days
  t2 created 05-01, started 07-01             open, in progress, age 30+30+31+20 = 111 days
  t3 created 08-10                            open, age 10 days
  t4 created 04-05 -> 04-06 -> 05-20          done in Q2
  t5 created 07-02 -> 07-03 -> 08-01          done in Q3
  t6 created 06-01 -> 06-02 -> 08-20 23:00    done on the as-of day itself: done in Q3, not open
  t7 created 07-05 -> 07-20, done 07-10       done before it started: quarantined, counted as
                                              filed in Q3, never as done, and not open
  t8 created 03-15 -> 03-20 -> 04-10          filed in Q1 (neither quarter), done in Q2
  f1 feature 04-01 -> 04-02 -> 04-20, f2 feature 05-01 -> 05-02 -> 06-10      done in Q2
  b1 bug 07-01 -> 07-02 -> 07-15, b2 bug 07-10 -> 07-11 -> 08-05, c1 chore 08-01 -> 08-02 -> 08-12
                                              done in Q3
  f3 feature created 08-15, open              not tech debt: in no tech-debt figure
By hand: open tech debt t1, t2, t3 = 3, one in progress, median age 111, oldest 222.
  Q3 filed t5, t7, t3 = 3; done t5, t6 = 2 of 5 items done (t5, t6, b1, b2, c1): 2 / 5 = 40 %.
  Q2 filed t4, t6, t2 = 3; done t4, t8 = 2 of 4 (t4, t8, f1, f2): 2 / 4 = 50 %.
Incidents (severity, service, detected; deployment named as cause):
  i1 P1 api 04-15 d1, i2 P2 api 06-30 23:30 (Q2, its last half hour), i3 P0 api 07-01 00:10 d2,
  i4 P2 api 08-02, i5 P3 web 08-19, i6 P1 web 03-31 (Q1: in neither quarter), i7 P2 batch 05-05.
  api Q3 2 (P0 1, P2 1), 1 deploy-caused; Q2 2, 1 deploy-caused. web Q3 1 (P3), Q2 0.
  batch Q3 0, Q2 1.
Stack inventory, recorded 08-20 09:00 (end of life; as-of + 180 days = 2026-02-16):
  python 3.8 eol 2024-10-07: past, 24+30+31+31+28+31+30+31+30+31+20 = 317 days
  nginx 1.24 eol 2025-08-20 (the as-of day): past, 0 days
  postgresql 13 eol 2025-11-13: 11+30+31+13 = 85 days left
  react 18 eol 2026-02-16: 180 days left (the last day in)
  node 22 eol 2026-02-17: 181 days left, left out; redis 7 without an end of life, left out.
"""

from __future__ import annotations

import re
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from deployment import deployment, nexus, open_instance
from report_runs import materialize

from nexus_pipelines.domains.reliability import build_assets
from nexus_pipelines.ingest import ensure_ingest_tables
from nexus_pipelines.project import project
from nexus_pipelines.reports import build_report_assets
from nexus_pipelines.sql_assets import build_sql_asset, load_declarations
from nexus_pipelines.warehouse import Warehouse

REPORT = dg.AssetKey(["delivery", "tech_debt_assessment"])
TITLES = {
    "open": "Open tech-debt items and their age (days)",
    "oldest": "Oldest open tech-debt items",
    "capacity": "Tech-debt work and share of capacity, this quarter and the one before",
    "incidents": "Incidents per service, this quarter and the one before",
    "eol": "Components past end of life or reaching it within 180 days",
}
ITEMS = [  # id, type, team, created, started, done, title, priority
    ("t1", "tech_debt", "platform", "01-10", None, None, "Upgrade framework", "P2"),
    ("t2", "tech_debt", "growth", "05-01", "07-01", None, "Remove legacy API", "P1"),
    ("t3", "tech_debt", "platform", "08-10", None, None, "Split monolith", None),
    ("t4", "tech_debt", "growth", "04-05", "04-06", "05-20", "Refactor billing", "P3"),
    ("t5", "tech_debt", "platform", "07-02", "07-03", "08-01", "Upgrade framework", "P2"),
    ("t6", "tech_debt", "platform", "06-01", "06-02", "08-20 23:00", "Refactor billing", "P2"),
    ("t7", "tech_debt", "growth", "07-05", "07-20", "07-10", "Remove legacy API", "P3"),
    ("t8", "tech_debt", "growth", "03-15", "03-20", "04-10", "Split monolith", "P3"),
    ("f1", "feature", "growth", "04-01", "04-02", "04-20", None, None),
    ("f2", "feature", "platform", "05-01", "05-02", "06-10", None, None),
    ("b1", "bug", "growth", "07-01", "07-02", "07-15", None, None),
    ("b2", "bug", "platform", "07-10", "07-11", "08-05", None, None),
    ("c1", "chore", "growth", "08-01", "08-02", "08-12", None, None),
    ("f3", "feature", "growth", "08-15", None, None, None, None),
]
INCIDENTS = [  # id, severity, service, detected, causing deployment
    ("i1", "P1", "api", "04-15 10:00", "d1"),
    ("i2", "P2", "api", "06-30 23:30", None),
    ("i3", "P0", "api", "07-01 00:10", "d2"),
    ("i4", "P2", "api", "08-02 10:00", None),
    ("i5", "P3", "web", "08-19 10:00", None),
    ("i6", "P1", "web", "03-31 22:00", None),
    ("i7", "P2", "batch", "05-05 10:00", None),
]
STACK = [  # component, version, category, used_by, latest, end of life
    ("python", "3.8", "language", "api,batch", "3.13", "2024-10-07"),
    ("nginx", "1.24", "platform", "web", "1.27", "2025-08-20"),
    ("postgresql", "13", "database", "api", "17", "2025-11-13"),
    ("react", "18", "framework", "web", "19", "2026-02-16"),
    ("node", "22", "platform", "web", "24", "2026-02-17"),
    ("redis", "7", "database", "api", None, None),
]


def at(day: str | None) -> str | None:
    """A 2025 instant in UTC from 'MM-DD' or 'MM-DD HH:MM' (midnight when no time)."""
    if day is None:
        return None
    return f"2025-{day}:00+00" if " " in day else f"2025-{day} 00:00:00+00"


def load(warehouse: Warehouse, stack: list[tuple] = STACK) -> None:
    with warehouse.get_connection() as connection:
        ensure_ingest_tables(connection)
        connection.executemany(
            "insert into raw.work_items (work_item_id, item_type, team, created_at, started_at, "
            "done_at, title, priority) values ($1, $2, $3, $4::timestamptz, $5::timestamptz, "
            "$6::timestamptz, $7, $8)",
            [(i, k, team, at(c), at(s), at(d), t, p) for i, k, team, c, s, d, t, p in ITEMS],
        )
        connection.executemany(
            "insert into raw.incidents values ($1, $2, $3, 'test', $4::timestamptz, null, null, "
            "$5, null)",
            [(i, severity, service, at(d), cause) for i, severity, service, d, cause in INCIDENTS],
        )
        if not stack:  # a company that does not feed the inventory
            return
        connection.executemany(
            "insert into raw.stack_components values ($1, $2, $3, $4, $5, $6::date, "
            "'2025-08-20 09:00:00+00')",
            stack,
        )


def report_assets() -> list[dg.AssetsDefinition]:
    """The report and the tables it reads, from the raw tables up."""
    feed, *_ = build_assets(project())
    tables = [
        build_sql_asset(d) for d in load_declarations() if d.name in ("incidents", "work_item_flow")
    ]
    return [feed, *tables, next(a for a in build_report_assets() if REPORT in a.keys)]


def render(warehouse: Warehouse, instance: dg.DagsterInstance | None = None) -> str:
    result = materialize(report_assets(), {"warehouse": warehouse}, instance)
    assert result.success
    (event,) = result.asset_materializations_for_node("__".join(REPORT.path))
    return event.metadata["report"].value


def section(text: str, title: str) -> list[str]:
    """The non-empty lines under the heading with this title, up to the next heading."""
    lines = text.splitlines()
    start = lines.index(f"## {title}")
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("#")), len(lines))
    return [line for line in lines[start + 1 : end] if line.strip()]


def test_tech_debt_assessment_by_hand(warehouse: Warehouse) -> None:
    """Every figure of the module docstring, as the report shows it."""
    load(warehouse)
    text = render(warehouse)
    assert text.startswith("# Tech debt assessment, as of 2025-08-20")
    assert section(text, TITLES["open"]) == [
        "| open_items | in_progress | median_age_days | max_age_days |",
        "|---|---|---|---|",
        "| 3 | 1 | 111.00 | 222 |",
    ]
    assert section(text, TITLES["oldest"])[2:] == [
        "| t1 | Upgrade framework | platform | P2 | 2025-01-10 | 222 | not started |",
        "| t2 | Remove legacy API | growth | P1 | 2025-05-01 | 111 | in progress |",
        "| t3 | Split monolith | platform |  | 2025-08-10 | 10 | not started |",
    ]
    assert section(text, TITLES["capacity"])[2:] == [
        "| 2025-Q3 | 2025-07-01 | 2025-08-20 | 3 | 2 | 5 | 40.00 |",
        "| 2025-Q2 | 2025-04-01 | 2025-06-30 | 3 | 2 | 4 | 50.00 |",
    ]
    assert section(text, TITLES["incidents"]) == [
        "| service_id | incidents | p0 | p1 | p2 | p3 | deploy_caused | previous_incidents "
        "| previous_deploy_caused |",
        "|---|---|---|---|---|---|---|---|---|",
        "| api | 2 | 1 | 0 | 1 | 0 | 1 | 2 | 1 |",
        "| web | 1 | 0 | 0 | 0 | 1 | 0 | 0 | 0 |",
        "| batch | 0 | 0 | 0 | 0 | 0 | 0 | 1 | 0 |",
    ]
    assert section(text, TITLES["eol"])[2:] == [
        "| past end of life | python | 3.8 | language | 3.13 | 2024-10-07 | 317 |  | api,batch |",
        "| past end of life | nginx | 1.24 | platform | 1.27 | 2025-08-20 | 0 |  | web |",
        "| end of life within 180 days | postgresql | 13 | database | 17 | 2025-11-13 |  | 85 "
        "| api |",
        "| end of life within 180 days | react | 18 | framework | 19 | 2026-02-16 |  | 180 | web |",
    ]


@pytest.mark.parametrize(
    ("stack", "said"),
    [
        ([], "no stack versions loaded"),
        ([r for r in STACK if r[0] in ("node", "redis")], "no component past or within 180 days"),
    ],
)
def test_stack_not_fed_or_all_supported_is_said_plainly(
    warehouse: Warehouse, stack: list[tuple], said: str
) -> None:
    """Without an inventory one row says so; with node (181 days left) and redis (no end of
    life) alone, one row says that none is near its end of life. Nothing else is listed."""
    load(warehouse, stack)
    (header, _rule, row) = section(render(warehouse), TITLES["eol"])
    assert header.startswith("| status | component |")
    assert row.startswith(f"| {said}")
    assert re.fullmatch(r"\| [a-z0-9 ]+(\|\s*){8}\|", row), row


def test_no_tech_debt_items_reads_zero_and_no_ages(warehouse: Warehouse) -> None:
    """With the tech-debt items removed: none open (ages empty, not 0), no oldest item, none filed
    or done, so the share of capacity is 0 / 5 = 0 % in Q3 and 0 / 2 (f1, f2) = 0 % in Q2."""
    load(warehouse)
    with warehouse.get_connection() as connection:
        connection.execute("delete from raw.work_items where item_type = 'tech_debt'")
    text = render(warehouse)
    assert section(text, TITLES["open"])[2] == "| 0 | 0 |  |  |"
    assert section(text, TITLES["oldest"]) == ["_no rows_"]
    assert section(text, TITLES["capacity"])[2:] == [
        "| 2025-Q3 | 2025-07-01 | 2025-08-20 | 0 | 0 | 3 | 0.00 |",
        "| 2025-Q2 | 2025-04-01 | 2025-06-30 | 0 | 0 | 2 | 0.00 |",
    ]


def test_html_export_holds_each_section_and_the_key_numbers(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    """`nexus report tech_debt_assessment --format html` on the test's warehouse and instance:
    every section's title, and the figures read here from the tables the report reads."""
    load(warehouse)
    env = deployment(tmp_path / "cli", NEXUS_DUCKDB_PATH=str(warehouse.resolved_path()))
    render(warehouse, open_instance(env["DAGSTER_HOME"]))
    out = tmp_path / "tech_debt.html"
    nexus(env, "report", "tech_debt_assessment", "--format", "html", "--out", str(out))
    page = out.read_text(encoding="utf-8")
    for title in TITLES.values():
        assert f"<h2>{title}</h2>" in page

    with duckdb.connect(str(warehouse.resolved_path()), read_only=True) as connection:
        connection.execute("set TimeZone = 'UTC'")  # the tests' reporting timezone
        [(open_items, oldest)] = connection.execute(
            "select count(*), max(date '2025-08-20' - created_at::date) from raw.work_items "
            "where item_type = 'tech_debt' and created_at::date <= date '2025-08-20' "
            "and (done_at is null or done_at::date > date '2025-08-20')"
        ).fetchall()
        [(share,)] = connection.execute(
            "select 100.0 * count(*) filter (where item_type = 'tech_debt') / count(*) "
            "from delivery.work_item_flow where flow_state = 'done' "
            "and done_at::date between date '2025-07-01' and date '2025-08-20'"
        ).fetchall()
        [(api_incidents, api_previous)] = connection.execute(
            "select count(*) filter (where detected_date >= date '2025-07-01'), "
            "count(*) filter (where detected_date < date '2025-07-01') "
            "from reliability.incidents where service_id = 'api' "
            "and detected_date between date '2025-04-01' and date '2025-08-20'"
        ).fetchall()
        [(python_past,)] = connection.execute(
            "select date '2025-08-20' - end_of_life from raw.stack_components "
            "where component = 'python'"
        ).fetchall()
    assert (open_items, oldest, share, api_incidents, python_past) == (3, 222, 40.0, 2, 317)
    rows = {  # a table row of each section: its first cell, then the cells up to the figure
        "open": [str(open_items), "1", r"[\d.]+", str(oldest)],
        "capacity": ["2025-Q3", *["[^<]*"] * 5, f"{share:.2f}"],
        "incidents": ["api", str(api_incidents), *[r"\d+"] * 5, str(api_previous)],
        "eol": ["past end of life", "python", *["[^<]*"] * 4, str(python_past)],
    }
    for name, cells in rows.items():
        assert re.search(r"\s*".join(f"<td>{cell}</td>" for cell in cells), page), name
