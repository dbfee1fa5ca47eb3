"""The Monthly Executive Summary (reporting) on small hand-worked tables, written as the metric
assets store them (times UTC, the tests' reporting timezone). As of 31 March 2025 (the data's
last day) the summary is of March 2025 against February; as of 10 April it is of 1 to 10 April
against March, when April has no monthly revenue rows, control results or budget yet.

Scorecard (value on 31 March / 28 February / baseline):
  System uptime 99.95 met / 99.80 / 99.90 -> +0.15, +0.05
  MTTR          45 missed / 25 / 40      -> +20, +5 (owner Infrastructure Maintainer)
  LTV:CAC       3.5 met / 2.5 / no baseline row -> +1, empty
  NPS           no data / 42 / 30       -> both changes empty
  -> 2 met, 1 missed, 1 no data.
Revenue (month: MRR, starting MRR, NRR, gross margin, operating profit):
  Feb 1000, 800, 1.02, 0.75, -500;  Mar 1100, 1000, 1.05, 0.80, -300
  MRR growth Mar 100 / 1000 = 10 %, Feb 200 / 800 = 25 % (-15); NRR 105 vs 102 (+3); margin
  80 vs 75 (+5); operating profit -300 vs -500 (+200). MRR trend: 2024-03 is outside the 12
  months to March 2025, 2024-04, 2025-02 and 2025-03 are in: 3 months.
Growth:
  signups Mar 3rd 5 + 3, 31st 2 = 10; Feb 10th 4 (Jan 31st 100 ignored): +6.
  MAU Mar 60 (growth 20 %), Feb 50 (25 %): +10, -5.
  activation (7-day window): Mar 1st 6/10, Mar 24th 2/10 (closed on the 31st), Mar 25th 10/10
  still open on the 31st (left out): 8 / 20 = 40 %; Feb 10th 3/4 = 75 %: -35.
  day-7 retention: Mar 1st 3/10, Mar 24th 1/10, Mar 26th 10/10 left out: 4 / 20 = 20 %; Feb
  10th 2/4 = 50 %: -30.
Reliability:
  uptime (overall rows) Mar 999/1000 + 995/1000 = 99.7 % (api's 0/1000 is not overall); Feb
  1000/1000 = 100 %: -0.3.
  incidents: INC1 P0 Mar 5 -> Mar 5 60 min; INC2 P1 Mar 20 open; INC3 P2 Mar 10 -> 11 30 min;
  INC4 P1 Feb 27 -> Mar 2 20 min; INC5 P0 Feb 3 -> Feb 3 90 min.
  MTTR Mar (60 + 30 + 20) / 3 = 36.67, Feb 90: -53.33. P0/P1 detected Mar INC1, INC2 = 2; Feb
  INC4, INC5 = 2. Open at month end Mar 31 INC2 = 1; Feb 28 INC4 = 1.
Risks: MTTR missed; dsr_timeliness failing in March (2 of 5; consent passes; February's
  failing access review is another month); INC2 open 31 - 20 = 11 days; marketing 1200 against
  1000 = +20 % over the 10 % threshold, infrastructure +8 % under it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import yaml
from deployment import NEXUS, open_instance
from report_runs import materialize

from nexus_pipelines.reports import build_report_assets
from nexus_pipelines.settings import PROJECT_DIR
from nexus_pipelines.warehouse import Warehouse

REPORT = dg.AssetKey(["reporting", "monthly_executive_summary"])
MAR_31 = date(2025, 3, 31)
FEB_28 = date(2025, 2, 28)

IM = "Infrastructure Maintainer"
SCORECARD = [  # as_of, metric, name, value, comparator, target, unit, status, owner
    (MAR_31, "uptime_pct", "System uptime", 99.95, ">", 99.9, "%", "met", IM),
    (MAR_31, "mttr_minutes", "MTTR", 45.0, "<", 30.0, "min", "missed", IM),
    (MAR_31, "ltv_to_cac", "LTV:CAC ratio", 3.5, ">", 3.0, "ratio", "met", "Finance Tracker"),
    (MAR_31, "nps", "NPS score", None, ">", 50.0, "score", "no data", "Feedback Synthesizer"),
    (FEB_28, "uptime_pct", "System uptime", 99.80, ">", 99.9, "%", "missed", IM),
    (FEB_28, "mttr_minutes", "MTTR", 25.0, "<", 30.0, "min", "met", IM),
    (FEB_28, "ltv_to_cac", "LTV:CAC ratio", 2.5, ">", 3.0, "ratio", "missed", "Finance Tracker"),
    (FEB_28, "nps", "NPS score", 42.0, ">", 50.0, "score", "missed", "Feedback Synthesizer"),
]  # fmt: skip
APRIL_10 = [  # every metric met on 10 April
    (date(2025, 4, 10), metric, name, 1.0 if comparator == "<" else 100.0, comparator, target,
     unit, "met", owner)
    for (day, metric, name, _value, comparator, target, unit, _status, owner) in SCORECARD
    if day == MAR_31
]  # fmt: skip
TABLES: dict[str, tuple[str, list[tuple]]] = {
    "reporting.scorecard": (
        "as_of date, metric varchar, name varchar, value double, comparator varchar, "
        "target double, unit varchar, status varchar, owner varchar",
        SCORECARD,
    ),
    "reporting.baseline": (
        "metric varchar, value double",
        [("uptime_pct", 99.90), ("mttr_minutes", 40.0), ("nps", 30.0)],
    ),
    "revenue.mrr_monthly": (
        "month date, mrr double, starting_mrr double, nrr double",
        [
            (date(2024, 3, 1), 500.0, 400.0, 1.0),
            (date(2024, 4, 1), 600.0, 500.0, 1.0),
            (date(2025, 2, 1), 1000.0, 800.0, 1.02),
            (date(2025, 3, 1), 1100.0, 1000.0, 1.05),
        ],
    ),
    "revenue.gross_margin_monthly": (
        "month date, gross_margin double, operating_profit double",
        [(date(2025, 2, 1), 0.75, -500.0), (date(2025, 3, 1), 0.80, -300.0)],
    ),
    "revenue.budget_variance": (
        "month date, category varchar, budget double, actual double, variance_pct double",
        [
            (date(2025, 2, 1), "payroll", 100.0, 200.0, 100.0),
            (date(2025, 3, 1), "infrastructure", 500.0, 540.0, 8.0),
            (date(2025, 3, 1), "marketing", 1000.0, 1200.0, 20.0),
        ],
    ),
    "growth.signups_by_channel_daily": (
        "signup_date date, acquisition_channel varchar, signups bigint",
        [
            (date(2025, 1, 31), "organic", 100),
            (date(2025, 2, 10), "organic", 4),
            (date(2025, 3, 3), "organic", 5),
            (date(2025, 3, 3), "paid", 3),
            (date(2025, 3, 31), "organic", 2),
        ],
    ),
    "growth.monthly_active_users": (
        "month date, mau bigint, mom_growth_pct double",
        [(date(2025, 2, 1), 50, 25.0), (date(2025, 3, 1), 60, 20.0)],
    ),
    "growth.activation_by_cohort": (
        "signup_date date, cohort_size bigint, activated_users bigint",
        [
            (date(2025, 2, 10), 4, 3),
            (date(2025, 3, 1), 10, 6),
            (date(2025, 3, 24), 10, 2),
            (date(2025, 3, 25), 10, 10),
        ],
    ),
    "growth.day_n_retention": (
        "signup_date date, cohort_size bigint, d7_retained_users bigint",
        [
            (date(2025, 2, 10), 4, 2),
            (date(2025, 3, 1), 10, 3),
            (date(2025, 3, 24), 10, 1),
            (date(2025, 3, 26), 10, 10),
        ],
    ),
    "reliability.uptime_daily": (
        "uptime_date date, service_id varchar, ok_probes bigint, probes bigint",
        [
            (date(2025, 2, 28), "overall", 1000, 1000),
            (date(2025, 3, 1), "overall", 999, 1000),
            (date(2025, 3, 1), "api", 0, 1000),
            (MAR_31, "overall", 995, 1000),
        ],
    ),
    "reliability.incidents": (
        "incident_id varchar, severity varchar, service_id varchar, title varchar, "
        "detected_at timestamptz, detected_date date, resolved_date date, "
        "minutes_to_resolve double",
        [
            (
                "INC1",
                "P0",
                "api",
                "API down",
                "2025-03-05 10:00+00",
                date(2025, 3, 5),
                date(2025, 3, 5),
                60.0,
            ),
            (
                "INC2",
                "P1",
                "web",
                "Slow pages",
                "2025-03-20 10:00+00",
                date(2025, 3, 20),
                None,
                None,
            ),
            (
                "INC3",
                "P2",
                "db",
                "Minor",
                "2025-03-10 10:00+00",
                date(2025, 3, 10),
                date(2025, 3, 11),
                30.0,
            ),
            (
                "INC4",
                "P1",
                "api",
                "Errors",
                "2025-02-27 10:00+00",
                date(2025, 2, 27),
                date(2025, 3, 2),
                20.0,
            ),
            (
                "INC5",
                "P0",
                "web",
                "Outage",
                "2025-02-03 10:00+00",
                date(2025, 2, 3),
                date(2025, 2, 3),
                90.0,
            ),
        ],
    ),
    "compliance.control_results": (
        "period_month date, control_id varchar, area varchar, name varchar, owner varchar, "
        "severity varchar, evaluated bigint, failing bigint, status varchar",
        [
            (
                date(2025, 2, 1),
                "access_reviews",
                "Security",
                "Access reviews done",
                "Infrastructure Maintainer",
                "warn",
                3,
                1,
                "fail",
            ),
            (
                date(2025, 3, 1),
                "consent_coverage",
                "Privacy",
                "Processing covered by consent",
                "Legal Compliance Checker",
                "error",
                4,
                0,
                "pass",
            ),
            (
                date(2025, 3, 1),
                "dsr_timeliness",
                "Privacy",
                "DSRs closed within deadline",
                "Legal Compliance Checker",
                "error",
                5,
                2,
                "fail",
            ),
        ],
    ),
}


def write_tables(warehouse: Warehouse, last_day: date, scorecard: list[tuple]) -> None:
    """The tables above (the scorecard's rows as given), and one raw row whose day is the
    data's last: the day the summary is as of."""
    tables = TABLES | {"reporting.scorecard": (TABLES["reporting.scorecard"][0], scorecard)}
    with warehouse.get_connection() as connection:
        for table, (columns, rows) in tables.items():
            connection.execute(f"create schema if not exists {table.split('.')[0]}")
            connection.execute(f"create table {table} ({columns})")
            marks = ", ".join("?" * len(rows[0]))
            connection.executemany(f"insert into {table} values ({marks})", rows)
        connection.execute("create schema if not exists raw")
        connection.execute(
            f"create table raw.users as select timestamptz '{last_day} 12:00:00+00' as signup_at"
        )


def materialise(
    warehouse: Warehouse, instance: dg.DagsterInstance | None = None
) -> tuple[str, dict]:
    """The summary alone; its markdown (the picture's data cut) and its metadata."""
    assets = [a for a in build_report_assets() if REPORT in a.keys]
    result = materialize(assets, {"warehouse": warehouse}, instance)
    assert result.success
    (event,) = result.asset_materializations_for_node("reporting__monthly_executive_summary")
    text = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "PNG", event.metadata["report"].value)
    return text, {name: value.value for name, value in event.metadata.items()}


def section(text: str, title: str) -> list[str]:
    """The lines of the section titled `title`, up to the next heading."""
    body = text.split(f"## {title}\n\n", 1)[1]
    return body.split("\n## ", 1)[0].strip().splitlines()


def test_the_summary_of_march_against_february(warehouse: Warehouse) -> None:
    write_tables(warehouse, MAR_31, SCORECARD)
    text, metadata = materialise(warehouse)
    assert text.startswith("# Monthly executive summary, as of 2025-03-31\n")
    assert section(text, "Month") == ["**2025-03: 2025-03-01 to 2025-03-31, against 2025-02**"]
    assert section(text, "Scorecard: met, missed, without data") == [
        "**2 met, 1 missed, 1 no data**"
    ]
    assert section(text, "Scorecard: each metric against the month before and the baseline")[
        2:
    ] == [
        "| System uptime | % | 99.95 | > 99.9 % | met | 0.15 | 0.05 |",
        "| MTTR | min | 45.00 | < 30 min | missed | 20.00 | 5.00 |",
        "| LTV:CAC ratio | ratio | 3.50 | > 3 ratio | met | 1.00 |  |",
        "| NPS score | score |  | > 50 score | no data |  |  |",
    ]
    assert section(text, "Revenue: the month against the month before") == [
        "| measure | this_month | month_before | change |",
        "|---|---|---|---|",
        "| MRR at month end | 1,100.00 | 1,000.00 | 100.00 |",
        "| MRR growth over the month % | 10.00 | 25.00 | -15.00 |",
        "| Net revenue retention % | 105.00 | 102.00 | 3.00 |",
        "| Gross margin % | 80.00 | 75.00 | 5.00 |",
        "| Operating profit (negative: burn) | -300.00 | -500.00 | 200.00 |",
    ]
    assert section(text, "Revenue: MRR over 12 months")[0].startswith("![")
    assert metadata["mrr_trend_rows"] == 3
    assert section(text, "Growth: the month against the month before")[2:] == [
        "| Signups | 10.00 | 4.00 | 6.00 |",
        "| Monthly active users | 60.00 | 50.00 | 10.00 |",
        "| Active users growth on the month before % | 20.00 | 25.00 | -5.00 |",
        "| Activation rate % (matured signups) | 40.00 | 75.00 | -35.00 |",
        "| Day-7 retention % (matured signups) | 20.00 | 50.00 | -30.00 |",
    ]
    assert section(text, "Reliability: the month against the month before")[2:] == [
        "| Uptime % (customer-facing) | 99.70 | 100.00 | -0.30 |",
        "| MTTR (minutes, incidents resolved) | 36.67 | 90.00 | -53.33 |",
        "| P0/P1 incidents detected | 2.00 | 2.00 | 0.00 |",
        "| P0/P1 incidents open at month end | 1.00 | 1.00 | 0.00 |",
    ]
    assert section(text, RISKS) == [
        "| kind | item | detail | owner |",
        "|---|---|---|---|",
        "| Missed metric | MTTR | value 45.00 min, target < 30 min | Infrastructure Maintainer |",
        "| Failing control | DSRs closed within deadline | Privacy, error: 2 of 5 records "
        "failing | Legal Compliance Checker |",
        "| Open P0/P1 incident | INC2: Slow pages | P1 on web, open 11 days |  |",
        "| Over budget | marketing | actual 1,200.00 against budget 1,000.00 (+20.0 %) |  |",
    ]


RISKS = "Risks: missed metrics, failing controls, open P0/P1 incidents, budget overruns"


def test_a_month_under_way_says_what_it_has_no_data_for(warehouse: Warehouse) -> None:
    """As of 10 April: April has no monthly revenue row (the month is not over), no control
    results and no budget, so those cells are empty and the risks say which data is missing
    rather than "none"; every metric is met ("none missed"); INC2 is still open, 10 April - 20
    March = 21 days; March is now the month before (MRR 1,100)."""
    write_tables(warehouse, date(2025, 4, 10), APRIL_10)
    text, _ = materialise(warehouse)
    assert section(text, "Month") == ["**2025-04: 2025-04-01 to 2025-04-10, against 2025-03**"]
    assert section(text, "Scorecard: met, missed, without data") == [
        "**4 met, 0 missed, 0 no data**"
    ]
    revenue = section(text, "Revenue: the month against the month before")
    assert revenue[2] == "| MRR at month end |  | 1,100.00 |  |"
    assert section(text, RISKS)[2:] == [
        "| Missed metric | none missed |  |  |",
        "| Failing control | no control results for the month |  |  |",
        "| Open P0/P1 incident | INC2: Slow pages | P1 on web, open 21 days |  |",
        "| Over budget | no budget for the month |  |  |",
    ]


def test_html_export_holds_every_section_and_the_tables_numbers(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    """`nexus report monthly_executive_summary --format html` on the run's warehouse and
    instance: every section's title, and numbers read here from the tables the sections read."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(PROJECT_DIR / "dagster-instance.yaml", home / "dagster.yaml")
    write_tables(warehouse, MAR_31, SCORECARD)
    with open_instance(home) as instance:
        materialise(warehouse, instance)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEXUS_", "DAGSTER_"))}
    env |= {"DAGSTER_HOME": str(home), "NEXUS_DUCKDB_PATH": str(warehouse.resolved_path())}
    out = tmp_path / "summary.html"
    subprocess.run(
        [NEXUS, "report", "monthly_executive_summary", "--format", "html", "--out", str(out)],
        env=env,
        check=True,
        capture_output=True,
    )
    page = out.read_text(encoding="utf-8")
    declared = yaml.safe_load((PROJECT_DIR / "assets/domains/reporting/reports.yaml").read_text())
    [spec] = [s for s in declared["reports"] if s["name"] == "monthly_executive_summary"]
    for part in spec["sections"]:
        assert f"<h2>{part['title']}</h2>" in page
    assert len(re.findall(r'<img src="data:image/png;base64,', page)) == 1

    with duckdb.connect(str(warehouse.resolved_path()), read_only=True) as connection:
        mrr, signups, mttr, control = connection.execute(
            "select (select mrr from revenue.mrr_monthly where month = '2025-03-01'), "
            "(select sum(signups) from growth.signups_by_channel_daily "
            " where signup_date between '2025-03-01' and '2025-03-31'), "
            "(select avg(minutes_to_resolve) from reliability.incidents "
            " where resolved_date between '2025-03-01' and '2025-03-31'), "
            "(select name from compliance.control_results "
            " where period_month = '2025-03-01' and status = 'fail')"
        ).fetchone()
    assert f"<td>{mrr:,.2f}</td>" in page  # 1,100.00
    assert re.search(rf"<td>Signups</td>\s*<td>{signups:,.2f}</td>", page)  # 10.00
    assert re.search(rf"<td>MTTR \(minutes, incidents resolved\)</td>\s*<td>{mttr:.2f}</td>", page)
    assert f"<td>{control}</td>" in page
