"""A report is a declaration plus SQL: each section shown as a table, a number or a picture,
rendered the same way for every report, stored with every version kept."""

from __future__ import annotations

import textwrap
from pathlib import Path

import dagster as dg
import pytest
from report_runs import materialize

from nexus_pipelines.project import DeclarationError, Project
from nexus_pipelines.reports import build_report_assets
from nexus_pipelines.warehouse import Warehouse

DECLARATION = """\
reports:
  - name: sprint_review
    title: Sprint review
    owner: Sprint Prioritizer
    cadence: biweekly
    description: Points delivered per sprint.
    sections:
      - title: Sprints
        query: sprints
      - title: Points delivered in all
        query: points_total
        show: number
        unit: points
      - title: Points per sprint
        query: sprints
        show: picture
        x: sprint
        y: [points]
      - title: Not written yet
        query: pending
"""

QUERIES = {
    "sprints": "select sprint, points from delivery.sprints order by sprint",
    "points_total": "select sum(points) from delivery.sprints",
    "pending": "from delivery.never_written",
}


def make_project(
    root: Path,
    declaration: str = DECLARATION,
    queries: dict[str, str] = QUERIES,
    query_folder: str = "sprint_review",
) -> Project:
    """A project tree holding one domain, `delivery`, with the reports declared and their SQL."""
    folder = root / "assets" / "domains" / "delivery"
    folder.mkdir(parents=True)
    (folder / "reports.yaml").write_text(textwrap.dedent(declaration), encoding="utf-8")
    sql_folder = root / "sql" / "delivery" / "reports" / query_folder
    sql_folder.mkdir(parents=True)
    for name, sql in queries.items():
        (sql_folder / f"{name}.sql").write_text(sql + "\n", encoding="utf-8")
    return Project(root)


def test_a_declared_report_renders_table_number_and_picture_and_keeps_versions(
    tmp_path: Path,
) -> None:
    source = make_project(tmp_path / "project")
    [report] = build_report_assets(source)
    key = dg.AssetKey(["delivery", "sprint_review"])
    assert report.key == key
    assert set(report.asset_deps[key]) == {
        dg.AssetKey(["delivery", "sprints"]),
        dg.AssetKey(["delivery", "never_written"]),
    }
    assert report.tags_by_key[key]["cadence"] == "biweekly"

    warehouse = Warehouse(database=str(tmp_path / "w.duckdb"), schemas=source.schemas)
    with warehouse.get_connection() as connection:
        connection.execute(
            "create table delivery.sprints as "
            "from (values (1, 13), (2, 8), (3, 21)) as t (sprint, points)"
        )
    texts = []
    for _ in range(2):
        result = dg.materialize([report], resources={"warehouse": warehouse})
        assert result.success
        [event] = result.get_asset_materialization_events()
        texts.append(event.materialization.metadata["report"].value)

    text = texts[0]
    assert text.startswith("# Sprint review, ")
    assert "## Sprints\n\n| sprint | points |\n|---|---|\n| 1 | 13 |\n| 2 | 8 |\n| 3 | 21 |" in text
    assert "## Points delivered in all\n\n**42** points\n" in text  # 13 + 8 + 21
    assert "## Points per sprint\n\n![Points per sprint](data:image/png;base64," in text
    assert "## Not written yet\n\n_no rows_\n" in text
    with warehouse.get_connection(read_only=True) as connection:
        stored = connection.execute(
            "select report_markdown from delivery.sprint_review order by generated_at"
        ).fetchall()
    assert [row[0] for row in stored] == texts


def test_a_picture_without_axes_names_the_file_and_the_report(tmp_path: Path) -> None:
    source = make_project(
        tmp_path / "project", DECLARATION.replace("        x: sprint\n        y: [points]\n", "")
    )
    with pytest.raises(DeclarationError) as raised:
        build_report_assets(source)
    message = str(raised.value)
    assert "assets/domains/delivery/reports.yaml" in message and "sprint_review" in message
    assert "a picture needs `x`" in message


def test_a_section_without_its_query_file_is_refused(tmp_path: Path) -> None:
    source = make_project(
        tmp_path / "project", DECLARATION.replace("query: points_total", "query: points_sum")
    )
    with pytest.raises(ValueError, match=r"section 'Points delivered in all': no query file"):
        build_report_assets(source)


PER_CADENCE = """\
reports:
  - name: "{cadence}_digest"
    for_each: cadence
    queries: digest
    title: "{cadence_name} digest"
    as_of: true
    store: digests
    description: What the {cadence_name} cadence produces.
    sections:
      - title: Outputs
        query: outputs
      - title: Day
        query: day
        show: number
"""
PER_CADENCE_QUERIES = {
    "outputs": "select output from playbook_activities where cadence = $cadence order by position",
    "day": "select strftime($as_of, '%d %B %Y')",
}


def make_per_cadence_project(root: Path, declaration: str = PER_CADENCE) -> Project:
    return make_project(root, declaration, PER_CADENCE_QUERIES, "digest")


def test_a_report_for_each_cadence_binds_it_and_keeps_one_version_per_cadence_and_day(
    tmp_path: Path,
) -> None:
    source = make_per_cadence_project(tmp_path / "project")
    reports = {asset.key.path[1]: asset for asset in build_report_assets(source)}
    # one per scheduled cadence: `continuous` has no schedule (sensors serve it)
    scheduled = ("daily", "weekly", "biweekly", "monthly", "quarterly")
    assert set(reports) == {f"{cadence}_digest" for cadence in scheduled}
    weekly = reports["weekly_digest"]
    key = dg.AssetKey(["delivery", "weekly_digest"])
    assert weekly.tags_by_key[key]["cadence"] == "weekly"
    assert weekly.specs_by_key[key].owners == [
        "team:Analytics Reporter",
        "team:Feedback Synthesizer",
        "team:Sprint Prioritizer",
        "team:Growth Hacker",
        "team:Project Shepherd",
    ]
    assert weekly.specs_by_key[key].description.startswith("What the Weekly cadence produces.")

    warehouse = Warehouse(database=str(tmp_path / "w.duckdb"), schemas=source.schemas)
    with warehouse.get_connection() as connection:  # one raw row: the data ends on 9 March 2025
        connection.execute("create schema if not exists raw")
        connection.execute(
            "create table raw.users as select timestamptz '2025-03-09 12:00:00+00' as signup_at"
        )
    for _ in range(2):
        result = materialize(list(reports.values()), resources={"warehouse": warehouse})
        assert result.success
    with warehouse.get_connection(read_only=True) as connection:
        stored = connection.execute(
            "select cadence, as_of, report_markdown from delivery.digests order by cadence"
        ).fetchall()
    assert [(cadence, str(as_of)) for cadence, as_of, _ in stored] == [
        (cadence, "2025-03-09") for cadence in sorted(scheduled)
    ]
    texts = {cadence: text for cadence, _, text in stored}
    assert texts["weekly"].startswith("# Weekly digest, as of 2025-03-09\n")
    assert "## Day\n\n**09 March 2025**\n" in texts["weekly"]
    assert (
        "| output |\n|---|\n| Weekly Analytics Report |\n| Weekly Feedback Summary |\n"
        "| Sprint Plan |\n| Growth Metrics Report |\n| Weekly Status Update |\n"
    ) in texts["weekly"]
    assert (
        "| Daily metrics snapshot |\n| Support ticket summary |\n| Health status report |"
        in (texts["daily"])
    )

    # a later run finds the day again: the data now ends on 10 March, and every report of the
    # run (which finds the day once, for all of them) is as of that day
    with warehouse.get_connection() as connection:
        connection.execute("insert into raw.users values (timestamptz '2025-03-10 12:00:00+00')")
    assert materialize(list(reports.values()), resources={"warehouse": warehouse}).success
    with warehouse.get_connection(read_only=True) as connection:
        latest = connection.execute(
            "select cadence, max(as_of) from delivery.digests group by cadence order by cadence"
        ).fetchall()
    assert [(cadence, str(as_of)) for cadence, as_of in latest] == [
        (cadence, "2025-03-10") for cadence in sorted(scheduled)
    ]


@pytest.mark.parametrize(
    ("declared", "instead", "refusal"),
    [  # a report for each cadence takes the cadence's roles as owners: its own is refused
        ("    for_each: cadence\n", "    for_each: cadence\n    owner: Someone\n", "no `cadence`"),
        ("    as_of: true\n", "    computed_by: scorecard\n", "computes as of a day"),
    ],
)
def test_a_report_declaration_that_contradicts_itself_is_refused(
    tmp_path: Path, declared: str, instead: str, refusal: str
) -> None:
    declaration = PER_CADENCE.replace(declared, instead)
    source = make_per_cadence_project(tmp_path / "project", declaration)
    with pytest.raises(DeclarationError) as raised:
        build_report_assets(source)
    message = str(raised.value)
    assert "assets/domains/delivery/reports.yaml" in message
    assert refusal in message


BASELINE_DECLARATION = """\
reports:
  - name: ops_digest
    title: Ops digest
    owner: Infrastructure Maintainer
    cadence: monthly
    as_of: true
    baseline: [nps, uptime_pct]
    description: One section and the baseline.
    sections:
      - title: Sprints
        query: sprints
"""


def test_a_report_with_a_baseline_ends_comparing_its_metrics_with_it(tmp_path: Path) -> None:
    """By hand, February 2025's report (as of the 28th, the data's last day): uptime 99.95 met
    against the baseline's 99.80 missed (31 January): +0.15 points; NPS has no value on the day
    (no data) against 40.00 missed: no change. The playbook's order: uptime (1st) before NPS."""
    source = make_project(tmp_path / "project", BASELINE_DECLARATION, query_folder="ops_digest")
    [report] = build_report_assets(source)
    key = dg.AssetKey(["delivery", "ops_digest"])
    assert {dg.AssetKey(["reporting", "scorecard"]), dg.AssetKey(["reporting", "baseline"])} <= (
        set(report.asset_deps[key])
    )
    warehouse = Warehouse(database=str(tmp_path / "w.duckdb"), schemas=source.schemas)
    with warehouse.get_connection() as connection:
        connection.execute("create schema reporting")
        connection.execute(
            "create table delivery.sprints as from (values (1, 13)) as t (sprint, points)"
        )
        connection.execute("create schema if not exists raw")
        connection.execute(
            "create table raw.users as select timestamptz '2025-02-28 12:00:00+00' as signup_at"
        )
        connection.execute(
            "create table reporting.scorecard as from (values "
            "('uptime_pct', date '2025-02-28', 99.95, 'met'), "
            "('uptime_pct', date '2025-02-27', 10.0, 'missed'), "
            "('nps', date '2025-02-28', null, 'no data')"
            ") as t (metric, as_of, value, status)"
        )
        connection.execute(
            "create table reporting.baseline as from (values "
            "('uptime_pct', 99.80, 'missed', date '2025-01-31'), "
            "('nps', 40.0, 'missed', date '2025-01-31')"
            ") as t (metric, value, status, baseline_date)"
        )
    result = materialize([report], resources={"warehouse": warehouse})
    assert result.success
    [event] = result.get_asset_materialization_events()
    text = event.materialization.metadata["report"].value
    assert text.startswith("# Ops digest, as of 2025-02-28\n")
    assert text.endswith(
        "## Against the baseline\n\n"
        "| metric | unit | value | status | baseline | baseline_status | change_vs_baseline "
        "| baseline_date | target |\n|---|---|---|---|---|---|---|---|---|\n"
        "| System uptime | % | 99.95 | met | 99.80 | missed | 0.15 | 2025-01-31 | > 99.9 % |\n"
        "| NPS score | score |  | no data | 40.00 | missed |  | 2025-01-31 | > 50 score |\n"
    )


def test_a_baseline_names_only_success_metrics(tmp_path: Path) -> None:
    declaration = BASELINE_DECLARATION.replace("[nps, uptime_pct]", "[nps, uptime]")
    source = make_project(tmp_path / "project", declaration, query_folder="ops_digest")
    with pytest.raises(ValueError, match=r"baseline names unknown success metrics \['uptime'\]"):
        build_report_assets(source)
