"""The weekly Sprint Plan and Weekly Status Update (delivery) on small hand-worked inputs (times
UTC, the reporting timezone of the tests). The data's last day, so the as-of day, is Wednesday
2025-10-08: the plan's and the status's ISO week is 2025-W41 (Monday 10-06 to 10-08), the week
before 2025-W40 (09-29 to 10-05).

Done work items (created 08-01, started two days before done unless said; type, team):
  six ISO weeks before W41, by week start:
    08-25: d01 feature platform 08-26, d02 bug growth 08-31 23:30 (a Sunday)      -> 2
    09-01: none                                                                   -> 0
    09-08: d03 feature platform 09-08, d04 chore growth 09-10, d05 bug platform 09-14 -> 3
    09-15: d06 feature growth 09-16                                               -> 1
    09-22: d07 bug platform 09-22, d08 tech_debt platform 09-26                   -> 2
    09-29: d09 feature platform 09-29, d10 bug growth 09-30, d11 feature growth 10-01,
           d12 chore platform 10-03, d13 bug platform 10-05                       -> 5
  left out: x1 done 08-24 (the week before the six); x2 done 09-18 before it started 09-20
  (quarantined, counted nowhere); w1 feature platform 10-06, w2 bug growth 10-07, w3 bug
  growth 10-08 22:00 (done in W41 itself).
  Throughput 2 + 0 + 3 + 1 + 2 + 5 = 13 over 6 weeks: mean 2.1666.. -> 2.17; sprint size
  floor = 2.

Open work items at the end of 10-08 (priority, type, team, created -> age in days, started,
links, blocked, decision):
  o1 P1 feature platform 09-01 -> 37, not started, feedback fb1 (onboarding)
  o2 P1 bug platform 09-20 -> 18, started 10-01 (7 days), incident inc1 (open)
  o3 P0 bug growth 10-07 -> 1, started 10-07 (1 day), incident inc2 (resolved 10-07)
  o4 P2 feature growth 08-15 -> 54, started 09-15 (23 days), blocked "waiting on vendor API"
  o5 no priority chore platform 07-01 -> 99, decision "build or buy: CTO"
  o6 P3 tech_debt platform 09-10 -> 28, started 09-12 (26 days), decision "drop IE11: product"
  o7 P1 feature growth 08-20 -> 49, not started, no link
  o8 P1 bug growth 10-08 -> 0, incident inc3 (open)
  o9 P2 chore growth 09-30 -> 8, started 10-03 (5 days), incident inc2 (resolved) and
     feedback fb2 (billing)
Ranked: P0 o3; P1 with an open incident o2 (18) then o8 (0), with feedback o1, then o7 (older
than o1 but unlinked); P2 with feedback o9 (inc2 is resolved), then o4 (older); P3 o6; no
priority o5 last though the oldest. The sprint is the top 2: o3, o2. Open P0/P1: o3, o2, o8,
o1, o7 = 5, so 5 - 2 = 3 fall outside (o8, o1, o7). Nine items open.

Status, W41: done w1 (feature platform), w2 and w3 (bug growth) = 3; W40 done d09-d13 = 5:
  all/all 3 vs 5; growth/bug 2 vs 1 (d10); growth/feature 0 vs 1 (d11); platform/bug 0 vs 1
  (d13); platform/chore 0 vs 1 (d12); platform/feature 1 vs 1 (d09).
  In progress (started, not done, not blocked), longest first: o6 26, o2 7, o9 5, o3 1.
  Blocked: o4, open 54 days, in progress 23. Decisions: o6 (P3, 28 days), then o5 (none, 99).
Incidents (detected -> resolved): inc1 P1 10-02 open; inc2 P0 10-06 -> 10-07; inc3 P1 10-08
  open; inc4 P2 09-20 -> 10-06; inc5 P3 09-30 -> 10-01 (W40 only: no row); inc6 P2 08-01 open.
  P0: detected 1, resolved 1, open 0, detected the week before 0; P1: 1 (inc3), 0, 2 (inc1,
  inc3), 1 (inc1); P2: 0, 1 (inc4), 1 (inc6), 0. Open: inc1 P1 6 days, inc3 P1 0, inc6 P2 68
  (08-01 -> 10-08: 31 + 30 + 7).
"""

from __future__ import annotations

import re
from pathlib import Path

import dagster as dg
import duckdb
import yaml
from deployment import deployment, nexus, open_instance
from report_runs import materialize

from nexus_pipelines.domains.reliability import build_assets
from nexus_pipelines.ingest import ensure_ingest_tables
from nexus_pipelines.project import project
from nexus_pipelines.reports import build_report_assets
from nexus_pipelines.settings import PROJECT_DIR
from nexus_pipelines.sql_assets import build_sql_asset, load_declarations
from nexus_pipelines.warehouse import Warehouse

SPRINT = dg.AssetKey(["delivery", "sprint_plan"])
STATUS = dg.AssetKey(["delivery", "weekly_status_update"])
# the sections' titles as reports.yaml declares them
SUGGESTED = "Suggested sprint (capacity = mean items done per week, six weeks before)"
THROUGHPUT_PICTURE = "Throughput, items done per ISO week (the six weeks before the plan's week)"
THROUGHPUT = "Items done per ISO week"
BACKLOG = "Ranked backlog (in_sprint = the suggested sprint)"
DONE_BY_TEAM = "Work done in the week, per team and type (against the week before)"
DONE_LIST = "Work done in the week"
IN_PROGRESS = "In progress (started, not done, not blocked)"
BLOCKED = "Blocked (what it waits on, days open)"
WEEK_INCIDENTS = "Incidents in the week, per severity"
OPEN_INCIDENTS = "Open incidents (age in days)"
DECISIONS = "Decisions needed"
LAST_DAY = "2025-10-08 23:00"  # sets the data's last day, the as-of day

DONE = [  # id, type, team, done (started two days before unless given), started
    ("x1", "feature", "platform", "2025-08-24 10:00", None),
    ("d01", "feature", "platform", "2025-08-26 10:00", None),
    ("d02", "bug", "growth", "2025-08-31 23:30", None),
    ("d03", "feature", "platform", "2025-09-08 10:00", None),
    ("d04", "chore", "growth", "2025-09-10 10:00", None),
    ("d05", "bug", "platform", "2025-09-14 10:00", None),
    ("d06", "feature", "growth", "2025-09-16 10:00", None),
    ("x2", "bug", "growth", "2025-09-18 10:00", "2025-09-20 10:00"),
    ("d07", "bug", "platform", "2025-09-22 10:00", None),
    ("d08", "tech_debt", "platform", "2025-09-26 10:00", None),
    ("d09", "feature", "platform", "2025-09-29 10:00", None),
    ("d10", "bug", "growth", "2025-09-30 10:00", None),
    ("d11", "feature", "growth", "2025-10-01 10:00", None),
    ("d12", "chore", "platform", "2025-10-03 10:00", None),
    ("d13", "bug", "platform", "2025-10-05 10:00", None),
    ("w1", "feature", "platform", "2025-10-06 10:00", None),
    ("w2", "bug", "growth", "2025-10-07 10:00", None),
    ("w3", "bug", "growth", "2025-10-08 22:00", None),
]
OPEN = [  # id, type, team, created, started, priority, blocked, decision, incident, feedback
    ("o1", "feature", "platform", "09-01", None, "P1", None, None, None, "fb1"),
    ("o2", "bug", "platform", "09-20", "10-01", "P1", None, None, "inc1", None),
    ("o3", "bug", "growth", "10-07", "10-07", "P0", None, None, "inc2", None),
    ("o4", "feature", "growth", "08-15", "09-15", "P2", "waiting on vendor API", None, None, None),
    ("o5", "chore", "platform", "07-01", None, None, None, "build or buy: CTO", None, None),
    ("o6", "tech_debt", "platform", "09-10", "09-12", "P3", None, "drop IE11: product", None, None),
    ("o7", "feature", "growth", "08-20", None, "P1", None, None, None, None),
    ("o8", "bug", "growth", "10-08", None, "P1", None, None, "inc3", None),
    ("o9", "chore", "growth", "09-30", "10-03", "P2", None, None, "inc2", "fb2"),
]  # fmt: skip
INCIDENTS = [  # id, severity, service, detected, resolved
    ("inc1", "P1", "api", "2025-10-02 10:00", None),
    ("inc2", "P0", "web", "2025-10-06 09:00", "2025-10-07 12:00"),
    ("inc3", "P1", "api", "2025-10-08 08:00", None),
    ("inc4", "P2", "api", "2025-09-20 10:00", "2025-10-06 10:00"),
    ("inc5", "P3", "web", "2025-09-30 10:00", "2025-10-01 10:00"),
    ("inc6", "P2", "batch", "2025-08-01 10:00", None),
]
FEEDBACK = [  # id, received, theme
    ("fb1", "2025-08-30 10:00", "onboarding"),
    ("fb2", "2025-09-28 10:00", "billing"),
    ("fb3", LAST_DAY, "pricing"),
]


def utc(value: str | None) -> str | None:
    return f"{value}:00+00" if value else None


def day(month_day: str | None, hour: str = "09:00") -> str | None:
    return utc(f"2025-{month_day} {hour}") if month_day else None


def load(warehouse: Warehouse, items: bool = True) -> None:
    """The module docstring's inputs (only the feedback, which sets the as-of day, without
    items)."""
    with warehouse.get_connection() as connection:
        ensure_ingest_tables(connection)
        connection.executemany(
            "insert into raw.feedback_items values ($1, null, $2::timestamptz, 'in_app', $3, "
            "'neutral')",
            [(i, utc(at), theme) for i, at, theme in FEEDBACK],
        )
        if not items:
            return
        connection.executemany(
            "insert into raw.work_items (work_item_id, item_type, team, created_at, started_at, "
            "done_at, title) values ($1, $2, $3, '2025-08-01 00:00:00+00', "
            "coalesce($5::timestamptz, $4::timestamptz - interval 2 day), $4::timestamptz, $6)",
            [(i, t, team, utc(d), utc(s), f"title {i}") for i, t, team, d, s in DONE],
        )
        connection.executemany(
            "insert into raw.work_items values ($1, $2, $3, $4::timestamptz, $5::timestamptz, "
            "null, $6, $7, $8, $9, $10, $11)",
            [
                (i, t, team, day(c), day(s), f"title {i}", p, b, dn, inc, fb)
                for i, t, team, c, s, p, b, dn, inc, fb in OPEN
            ],
        )
        connection.executemany(
            "insert into raw.incidents values ($1, $2, $3, 'test', $4::timestamptz, "
            "$4::timestamptz, $5::timestamptz, null, null)",
            [(i, sev, service, utc(d), utc(r)) for i, sev, service, d, r in INCIDENTS],
        )


def assets() -> list[dg.AssetsDefinition]:
    """What the two reports read (reliability.incidents, over the incident feed) and the reports."""
    feed, *_ = build_assets(project())
    incidents = build_sql_asset(next(d for d in load_declarations() if d.name == "incidents"))
    reports = [a for a in build_report_assets() if {SPRINT, STATUS} & set(a.keys)]
    return [feed, incidents, *reports]


def render(warehouse: Warehouse, instance: dg.DagsterInstance | None = None) -> dict[str, str]:
    """Both reports' markdown, materialised as the schedules run them."""
    result = materialize(assets(), {"warehouse": warehouse}, instance)
    assert result.success
    texts = {}
    for key in (SPRINT, STATUS):
        (event,) = result.asset_materializations_for_node("__".join(key.path))
        texts[key.path[-1]] = event.metadata["report"].value
    return texts


def section(text: str, title: str) -> list[str]:
    """The rows of the section titled so: its table's body (header and rule left out)."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line == f"## {title}")
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("#")), len(lines))
    body = [line for line in lines[start + 1 : end] if line.strip()]
    return body[2:] if body and body[0].startswith("|") else body


def cells(row: str) -> list[str]:
    return [cell.strip() for cell in row.strip("|").split("|")]


def test_sprint_plan_ranks_the_backlog_and_sizes_the_sprint_by_hand(warehouse: Warehouse) -> None:
    """Module docstring: capacity 13 / 6 = 2.17 items a week, a sprint of 2 (o3, o2), 3 of the
    5 open P0/P1 items outside it; the ranking's order and columns item by item."""
    load(warehouse)
    text = render(warehouse)["sprint_plan"]
    assert text.startswith("# Sprint plan, as of 2025-10-08")
    assert [cells(row) for row in section(text, SUGGESTED)] == [
        [
            "2025-W41",
            "9",
            "5",
            "2.17",
            "2",
            "2",
            "3",
            "the suggested sprint is the top 2 of the ranked backlog",
        ]
    ]
    assert [cells(row)[:3] for row in section(text, THROUGHPUT)] == [
        ["2025-W35", "2025-08-25", "2"],
        ["2025-W36", "2025-09-01", "0"],
        ["2025-W37", "2025-09-08", "3"],
        ["2025-W38", "2025-09-15", "1"],
        ["2025-W39", "2025-09-22", "2"],
        ["2025-W40", "2025-09-29", "5"],
    ]
    assert section(text, THROUGHPUT_PICTURE)[0].startswith("![")
    ranked = [cells(row) for row in section(text, BACKLOG)]
    assert [row[2] for row in ranked] == ["o3", "o2", "o8", "o1", "o7", "o9", "o4", "o6", "o5"]
    assert [row[0] for row in ranked] == [str(n) for n in range(1, 10)]
    assert [row[1] for row in ranked] == ["yes", "yes"] + ["no"] * 7
    by_id = {row[2]: row for row in ranked}
    # title, type, team, priority, age, incident, severity, open, feedback, theme, blocked
    assert by_id["o2"][3:] == [
        "title o2", "bug", "platform", "P1", "18", "inc1", "P1", "yes", "", "", "",
    ]  # fmt: skip
    assert by_id["o9"][3:] == [
        "title o9", "chore", "growth", "P2", "8", "inc2", "P0", "no", "fb2", "billing", "",
    ]  # fmt: skip
    assert by_id["o4"][7:8] + by_id["o4"][-1:] == ["54", "waiting on vendor API"]
    assert by_id["o5"][6:8] == ["", "99"]
    assert by_id["o1"][-3:-1] == ["fb1", "onboarding"]


def test_weekly_status_update_done_progress_blocked_incidents_decisions_by_hand(
    warehouse: Warehouse,
) -> None:
    """Module docstring, status: 3 done in W41 against 5 in W40 per team and type, the items in
    progress, blocked and awaiting a decision, and the week's incidents per severity."""
    load(warehouse)
    text = render(warehouse)["weekly_status_update"]
    assert text.startswith("# Weekly status update, as of 2025-10-08")
    assert [cells(row) for row in section(text, DONE_BY_TEAM)] == [
        ["2025-W41", "all", "all", "3", "5"],
        ["2025-W41", "growth", "bug", "2", "1"],
        ["2025-W41", "growth", "feature", "0", "1"],
        ["2025-W41", "platform", "bug", "0", "1"],
        ["2025-W41", "platform", "chore", "0", "1"],
        ["2025-W41", "platform", "feature", "1", "1"],
    ]
    assert [cells(row)[:2] for row in section(text, DONE_LIST)] == [
        ["2025-10-06", "w1"],
        ["2025-10-07", "w2"],
        ["2025-10-08", "w3"],
    ]
    assert [(r[0], r[-1]) for r in map(cells, section(text, IN_PROGRESS))] == [
        ("o6", "26"),
        ("o2", "7"),
        ("o9", "5"),
        ("o3", "1"),
    ]
    assert [cells(row) for row in section(text, BLOCKED)] == [
        ["o4", "title o4", "feature", "growth", "P2", "waiting on vendor API", "54", "23"]
    ]
    assert [cells(row) for row in section(text, WEEK_INCIDENTS)] == [
        ["P0", "1", "1", "0", "0"],
        ["P1", "1", "0", "2", "1"],
        ["P2", "0", "1", "1", "0"],
    ]
    assert [(r[0], r[1], r[-1]) for r in map(cells, section(text, OPEN_INCIDENTS))] == [
        ("inc1", "P1", "6"),
        ("inc3", "P1", "0"),
        ("inc6", "P2", "68"),
    ]
    assert [(r[0], r[3], r[4], r[5]) for r in map(cells, section(text, DECISIONS))] == [
        ("o6", "P3", "drop IE11: product", "28"),
        ("o5", "", "build or buy: CTO", "99"),
    ]


def test_without_work_items_or_incidents_each_section_says_so(warehouse: Warehouse) -> None:
    """No work item and no incident loaded (only feedback, which sets the day): every section
    says plainly that it has nothing, none invents a sprint; throughput 0 in each week."""
    load(warehouse, items=False)
    texts = render(warehouse)
    sprint, status = texts["sprint_plan"], texts["weekly_status_update"]
    assert [cells(row) for row in section(sprint, SUGGESTED)] == [
        ["2025-W41", "0", "0", "0.00", "0", "0", "0", "no work items loaded (raw.work_items)"]
    ]
    assert [cells(row)[2] for row in section(sprint, THROUGHPUT)] == ["0"] * 6
    [empty] = [cells(row) for row in section(sprint, BACKLOG)]
    assert empty[3] == "the backlog is empty: no work item open on 2025-10-08"
    for title, said in [
        (DONE_BY_TEAM, "no work item done in the week or the week before"),
        (IN_PROGRESS, "no work item in progress"),
        (BLOCKED, "no work item blocked"),
        (WEEK_INCIDENTS, "no incident detected, resolved or open in the week"),
        (OPEN_INCIDENTS, "no incident open"),
        (DECISIONS, "no decision needed"),
    ]:
        [row] = section(status, title)
        assert said in cells(row), (title, row)


def test_html_export_holds_each_section_and_the_numbers_of_the_tables_read(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    """`nexus report NAME --format html` on the test's warehouse and instance: every declared
    section's title, and numbers recomputed here from raw.work_items and reliability.incidents
    (not with the report's SQL): the open items, the capacity, the week's done and open
    incidents."""
    load(warehouse)
    env = deployment(tmp_path / "deployment", NEXUS_DUCKDB_PATH=str(warehouse.resolved_path()))
    render(warehouse, open_instance(env["DAGSTER_HOME"]))
    with duckdb.connect(str(warehouse.resolved_path()), read_only=True) as connection:
        ((open_items, p0_p1, done_6w, done_week, open_incidents),) = connection.execute(
            """
            select
                count(*) filter (where created_at < '2025-10-09 00:00+00'
                    and (done_at is null or done_at >= '2025-10-09 00:00+00')),
                count(*) filter (where priority in ('P0', 'P1') and done_at is null),
                count(*) filter (where done_at >= '2025-08-25 00:00+00'
                    and done_at < '2025-10-06 00:00+00' and done_at >= started_at),
                count(*) filter (where done_at >= '2025-10-06 00:00+00'
                    and done_at < '2025-10-09 00:00+00'),
                (select count(*) from reliability.incidents where resolved_at is null),
            from raw.work_items
            """
        ).fetchall()
    assert (open_items, p0_p1, done_6w, done_week, open_incidents) == (9, 5, 13, 3, 3)
    declared = yaml.safe_load(
        (PROJECT_DIR / "assets/domains/delivery/reports.yaml").read_text(encoding="utf-8")
    )["reports"]
    pages = {}
    for name in ("sprint_plan", "weekly_status_update"):
        out = tmp_path / f"{name}.html"
        nexus(env, "report", name, "--format", "html", "--out", str(out))
        pages[name] = out.read_text(encoding="utf-8")
    for spec in declared:
        if spec["name"] in pages:
            for declared_section in spec["sections"]:
                assert f"<h2>{declared_section['title']}</h2>" in pages[spec["name"]]
    sprint, status = pages["sprint_plan"], pages["weekly_status_update"]
    capacity = round(done_6w / 6, 2)
    row = re.search(r"<td>2025-W41</td>\s*" + r"<td>([^<]*)</td>\s*" * 6, sprint)
    assert row, sprint
    assert row.groups() == (
        str(open_items),
        str(p0_p1),
        f"{capacity}",
        str(int(capacity)),
        str(int(capacity)),
        str(p0_p1 - int(capacity)),
    )
    assert sprint.count('<img src="data:image/png;base64,') == 1
    total = re.search(r"<td>all</td>\s*<td>all</td>\s*<td>(\d+)</td>", status)
    assert total and int(total.group(1)) == done_week
    open_section = status.split(f"{OPEN_INCIDENTS}</h2>")[1].split("<h2>")[0]
    assert open_section.count("<tr>") - 1 == open_incidents
