"""Every playbook-output report exported to HTML by the real `nexus report` on one small demo
built by the real `nexus demo`: each declared section title is a heading, each picture an
embedded PNG, and a few key numbers per report equal what this module's own SQL computes on the
tables the report reads, written as the report writes a cell (a count with thousands
separators, any other number with two decimals). Adding a report is one entry in CHECKS."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest
from deployment import deployment, nexus

from nexus_pipelines.reports import load_reports
from nexus_pipelines.settings import load_settings

PICTURE = "data:image/png;base64,"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# A small demo on which every report below has rows whatever day it runs: 120 days hold a
# complete month, mature cohorts and at least four weeks of the last complete quarter (90 days
# leave that quarter empty when yesterday is a quarter's last day but one or two).
DEMO = ["--users", "300", "--days", "120", "--seed", "7"]


@dataclass
class Section:
    """What one `## title` of an exported page holds: its tables (rows of cell texts, the
    header first), its bold figures, its images' sources and its text."""

    tables: list[list[list[str]]] = field(default_factory=list)
    strong: list[str] = field(default_factory=list)
    images: list[str] = field(default_factory=list)
    text: str = ""


class Page(HTMLParser):
    """An exported report read back: its `<h1>` and a Section per `<h2>`."""

    def __init__(self, markup: str) -> None:
        super().__init__()
        self.title = ""
        self.sections: dict[str, Section] = {}
        self._heading: str | None = None
        self._current: Section | None = None
        self._cell: list[str] | None = None
        self._strong: list[str] | None = None
        self.feed(markup)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"h1", "h2"}:
            self._heading = ""
        elif self._current is None:
            return
        elif tag == "table":
            self._current.tables.append([])
        elif tag == "tr":
            self._current.tables[-1].append([])
        elif tag in {"td", "th"}:
            self._cell = []
        elif tag == "strong":
            self._strong = []
        elif tag == "img":
            self._current.images.append(dict(attrs).get("src") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "h1":
            self.title, self._heading = self._heading or "", None
        elif tag == "h2":
            self._current = self.sections.setdefault(self._heading or "", Section())
            self._heading = None
        elif tag in {"td", "th"} and self._current and self._cell is not None:
            self._current.tables[-1][-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "strong" and self._current and self._strong is not None:
            self._current.strong.append("".join(self._strong))
            self._strong = None

    def handle_data(self, data: str) -> None:
        if self._heading is not None:
            self._heading += data
            return
        for collecting in (self._cell, self._strong):
            if collecting is not None:
                collecting.append(data)
        if self._current is not None:
            self._current.text += data

    def rows(self, title: str) -> list[dict[str, str]]:
        """The section's one table as {column: cell} per row; none when it says `no rows`."""
        section = self.sections[title]
        if not section.tables:
            assert section.text.strip() == "no rows", (title, section.text)
            return []
        [(header, *body)] = section.tables
        return [dict(zip(header, row, strict=True)) for row in body]

    def row(self, title: str, column: str, value: str) -> dict[str, str]:
        [found] = [row for row in self.rows(title) if row[column] == value]
        return found

    def number(self, title: str) -> str:
        [shown] = self.sections[title].strong
        return shown


def cell(value: float | int) -> str:
    """How a report writes a number in a cell or a bold figure (metadata.cell_text without a
    column kind): an integer whole with thousands separators, any other number to two decimals
    (below 0.01, two significant digits)."""
    if isinstance(value, int):
        return f"{value:,}"
    number = float(value)
    return f"{number:,.2f}" if number == 0 or abs(number) >= 0.01 else f"{number:.2g}"


@dataclass
class Export:
    """One report exported: the page read back, the day it is of, and the warehouse."""

    page: Page
    as_of: date
    db: duckdb.DuckDBPyConnection
    tz: str

    def one(self, sql: str, **params: object) -> object:
        [(value,)] = self.db.execute(sql, params).fetchall()
        return value


def _last_complete_week(as_of: date) -> date:
    """The Monday of the last ISO week whose Sunday is `as_of` or earlier."""
    return as_of + timedelta(days=1) - timedelta(days=(as_of + timedelta(days=1)).weekday() + 7)


def _month_reported(as_of: date) -> date:
    """The first day of the last calendar month complete on `as_of`."""
    end = as_of + timedelta(days=1)
    return (end.replace(day=1) - timedelta(days=1)).replace(day=1)


def _quarter_reported(as_of: date) -> tuple[date, date]:
    """The first day of the last calendar quarter complete on `as_of`, and of the next."""
    end = as_of + timedelta(days=1)
    following = date(end.year, 3 * ((end.month - 1) // 3) + 1, 1)
    first = (following - timedelta(days=1)).replace(day=1)
    first = first.replace(month=3 * ((first.month - 1) // 3) + 1)
    return first, following


def daily_metrics_snapshot(e: Export) -> None:
    title = "Scorecard status (metrics met, missed, without data)"
    counts = dict(
        e.db.execute(
            "select status, count(*) from reporting.scorecard where as_of = $day group by all",
            {"day": e.as_of},
        ).fetchall()
    )
    assert counts.get("met", 0) + counts.get("missed", 0) > 0
    for status in ("met", "missed", "no data"):
        assert e.page.row(title, "status", status)["metrics"] == cell(counts.get(status, 0))
    uptime = e.one(
        "select value from reporting.scorecard where as_of = $day and metric = 'uptime_pct'",
        day=e.as_of,
    )
    kpis = "Yesterday's KPIs against the day before, the same weekday last week and the baseline"
    assert e.page.row(kpis, "metric", "System uptime")["value"] == cell(round(uptime, 2))
    day, valued, metrics = e.db.execute(
        "select any_value(baseline_date), count(value), count(*) from reporting.baseline"
    ).fetchone()
    [baseline] = e.page.rows("Baseline")
    assert (baseline["baseline_date"], baseline["metrics_with_a_value"], baseline["metrics"]) == (
        day.isoformat(),
        cell(valued),
        cell(metrics),
    )


def support_ticket_summary(e: Export) -> None:
    # the latest day shown: tickets opened that calendar day, counted on the raw tickets
    [latest, *_] = e.page.rows("Last 14 days")
    opened = e.one(
        "select count(*) from raw.support_tickets where (created_at at time zone $tz)::date = $day",
        tz=e.tz,
        day=date.fromisoformat(latest["summary_date"]),
    )
    assert latest["tickets_created"] == cell(opened)
    open_now = dict(
        e.db.execute(
            "select priority, count(*) from raw.support_tickets where resolved_at is null "
            "group by all"
        ).fetchall()
    )
    shown = {
        row["priority"]: row["open_tickets"] for row in e.page.rows("Open tickets by priority")
    }
    assert shown == {priority: cell(n) for priority, n in open_now.items()}


def health_status_report(e: Export) -> None:
    title = "Uptime, last 7 days (planned maintenance excluded)"
    for service in ("overall", "data_pipeline"):
        probes, uptime = e.db.execute(
            "select sum(probes)::bigint, 100.0 * sum(ok_probes) / sum(probes) "
            "from reliability.uptime_daily where service_id = $service "
            "and uptime_date > (select max(uptime_date) from reliability.uptime_daily) - 7",
            {"service": service},
        ).fetchone()
        row = e.page.row(title, "service_id", service)
        assert (row["probes"], row["uptime_pct_7d"]) == (cell(probes), cell(uptime))
    p95 = e.one(
        "select arg_max(latency_p95_ms, latency_date) from reliability.latency_daily "
        "where service_id = 'api'"
    )
    latency = e.page.row("Latency on the latest day (ms)", "service_id", "api")
    assert latency["latency_p95_ms"] == cell(p95)
    still_open = e.one("select count(*) from reliability.incidents where resolved_at is null")
    assert len(e.page.rows("Open incidents")) == still_open


def weekly_analytics_report(e: Export) -> None:
    week = _last_complete_week(e.as_of)
    span = {"first": week, "last": week + timedelta(days=6)}
    wau = e.one(
        "select count(distinct user_id) from growth.user_activity_days "
        "where activity_date between $first and $last",
        **span,
    )
    signups = e.one(
        "select sum(signups) from growth.signups_by_channel_daily "
        "where signup_date between $first and $last",
        **span,
    )
    dau = e.one(
        "select avg(active_users) from growth.daily_active_users "
        "where activity_date between $first and $last",
        **span,
    )
    title = "The week's KPIs against the week before"
    for kpi, value in [
        ("WAU (active in the week)", wau),
        ("Signups", signups),
        ("DAU (mean of the days)", dau),
    ]:
        row = e.page.row(title, "kpi", kpi)
        # the value column mixes whole counts with rates: DuckDB makes it a double
        assert (row["week_start"], row["value"]) == (week.isoformat(), cell(round(float(value), 2)))


def weekly_feedback_summary(e: Export) -> None:
    # the latest complete month's answers, counted on the raw responses
    month = e.one("select max(month) from voice.nps_monthly where is_complete")
    responses = e.one(
        "select count(*) from raw.nps_responses where date_trunc('month', "
        "(responded_at at time zone $tz)::date) = $month",
        tz=e.tz,
        month=month,
    )
    title = "NPS per month, whole base (points, 95 % interval)"
    assert e.page.row(title, "month", month.isoformat())["responses"] == cell(responses)
    week, items = e.db.execute(
        "select week_start, sum(feedback_items)::bigint from voice.feedback_themes_weekly "
        "where is_complete group by all order by week_start desc limit 1"
    ).fetchone()
    rows = e.page.rows("Feedback themes, latest complete week, against the trailing weeks")
    assert {row["week_start"] for row in rows} == {week.isoformat()}
    assert sum(int(row["feedback_items"]) for row in rows) == items


def growth_metrics_report(e: Export) -> None:
    week = _last_complete_week(e.as_of)
    span = {"first": week, "last": week + timedelta(days=6)}
    signups = e.one(
        "select sum(signups)::bigint from growth.signups_by_channel_daily "
        "where signup_date between $first and $last",
        **span,
    )
    spend = e.one(
        "select sum(amount) from raw.marketing_spend where spend_date between $first and $last",
        **span,
    )
    total = e.page.row("Acquisition by channel, the week", "channel", "total")
    assert (total["signups"], total["spend"]) == (cell(signups), cell(spend))
    invites = e.one(
        "select count(*) from raw.invites "
        "where (sent_at at time zone $tz)::date between $first and $last",
        tz=e.tz,
        **span,
    )
    [virality] = e.page.rows("Virality, invites sent in the week")
    assert virality["invites_sent"] == cell(invites)
    # blended CAC: the month's whole marketing spend (unattributed too) / new paying customers
    month = _month_reported(e.as_of)
    customers = e.one(
        "select sum(new_customers)::bigint from revenue.unit_economics "
        "where month = $month and channel <> 'blended'",
        month=month,
    )
    spent = e.one(
        "select sum(amount) from raw.marketing_spend "
        "where date_trunc('month', spend_date) = $month",
        month=month,
    )
    blended = e.page.row("CAC by channel, latest complete month", "channel", "blended")
    assert (blended["new_customers"], blended["spend"], blended["cac"]) == (
        cell(customers),
        cell(spent),
        cell(round(spent / customers, 2)),
    )


def biweekly_insights_report(e: Export) -> None:
    items = e.one("select sum(fortnight_items)::bigint from voice.feedback_insights")
    assert e.page.number("Feedback items in the fortnight") == cell(items)
    rising = e.one("select count(*) from voice.feedback_insights where rising_rank is not null")
    title = "Rising fastest (share of the fortnight against the trailing fortnights)"
    assert len(e.page.rows(title)) == min(rising, 5)


def experiment_results_summary(e: Export) -> None:
    completed = [
        experiment
        for (experiment,) in e.db.execute(
            "select experiment_id from experiments.experiment_status where status = 'completed' "
            "order by ended_at desc, experiment_id"
        ).fetchall()
    ]
    shown = [row["experiment_id"] for row in e.page.rows("Completed tests and outcomes")]
    assert shown == completed and completed
    # a treatment's users: those assigned to it whose outcome has been observed
    users = dict(
        e.db.execute(
            "select experiment_id || '/' || variant, count(*) from raw.experiment_assignments "
            "semi join raw.experiment_outcomes using (experiment_id, user_id) group by all"
        ).fetchall()
    )
    title = "Statistical validation, per treatment against control (running = interim)"
    for row in e.page.rows(title):
        assert row["users"] == cell(users[f"{row['experiment_id']}/{row['variant']}"])
    mismatched = e.one("select count(*) from experiments.experiment_status where not srm_passed")
    assert e.page.number("Experiments failing the sample-ratio check") == cell(mismatched)


def published_content_report(e: Export) -> None:
    title = "Per platform, the fortnight"
    first = date.fromisoformat(e.page.row(title, "platform", "all")["fortnight_start"])
    posts = dict(
        e.db.execute(
            "select platform, count(*) from raw.content_posts "
            "where (published_at at time zone $tz)::date between $first and $last group by all",
            {"tz": e.tz, "first": first, "last": first + timedelta(days=13)},
        ).fetchall()
    )
    posts["all"] = sum(posts.values())
    shown = {row["platform"]: row["posts"] for row in e.page.rows(title)}
    assert shown == {platform: cell(n) for platform, n in posts.items()}
    # the fortnight is the two latest complete weeks
    latest = e.one("select max(week_start) from content.platform_weekly where is_complete")
    assert first == latest - timedelta(days=7)


def monthly_financial_report(e: Export) -> None:
    month = _month_reported(e.as_of)
    assert e.page.number("Month reported") == f"{month:%Y-%m}"
    mrr, customers = e.db.execute(
        "select mrr, paying_customers from revenue.mrr_monthly where month = $month",
        {"month": month},
    ).fetchone()
    title = "Revenue: MRR and ARR at month end"
    assert e.page.row(title, "measure", "MRR")["this_month"] == cell(round(float(mrr), 2))
    # the column mixes money with counts: DuckDB makes it a double
    shown = e.page.row(title, "measure", "Paying customers")["this_month"]
    assert shown == cell(float(customers))
    ltv, cac = e.db.execute(
        "select ltv, cac from revenue.unit_economics where month = $month and channel = 'blended'",
        {"month": month},
    ).fetchone()
    title = "Unit economics: blended LTV:CAC (target above 3)"
    assert e.page.number(title) == cell(round(ltv / cac, 2))


def compliance_status_report(e: Export) -> None:
    month, passing, evaluated = e.db.execute(
        "select period_month, count(*) filter (where status = 'pass'), "
        "count(*) filter (where status in ('pass', 'fail')) from compliance.control_results "
        "group by all order by period_month desc limit 1"
    ).fetchone()
    title = "Regulatory adherence, latest month (target > 98 %)"
    assert e.page.number(title) == cell(100.0 * passing / evaluated)
    failing = {
        control
        for (control,) in e.db.execute(
            "select control_id from compliance.control_results "
            "where period_month = $month and status = 'fail'",
            {"month": month},
        ).fetchall()
    }
    shown = {row["control_id"] for row in e.page.rows("Failing controls, with evidence")}
    assert shown == failing
    still_open = [
        request
        for (request,) in e.db.execute(
            "select request_id from raw.data_subject_requests where closed_at is null "
            "order by request_id"
        ).fetchall()
    ]
    shown_requests = e.page.rows("Data-subject requests open and due")
    assert sorted(row["request_id"] for row in shown_requests) == still_open


def quarterly_performance_report(e: Export) -> None:
    first, following = _quarter_reported(e.as_of)
    [quarter] = e.page.rows("Quarter compared")
    assert (quarter["first_day"], quarter["last_day"]) == (
        first.isoformat(),
        (following - timedelta(days=1)).isoformat(),
    )
    probes, ok = e.db.execute(
        "select sum(probes)::bigint, sum(ok_probes) from reliability.uptime_monthly "
        "where service_id = 'overall' and uptime_month >= $first and uptime_month < $following",
        {"first": first, "following": following},
    ).fetchone()
    title = "Uptime per service, quarter against the quarter before (planned maintenance excluded)"
    overall = e.page.row(title, "service_id", "overall")
    assert (overall["probes"], overall["uptime_pct"]) == (
        cell(probes),
        cell(round(100.0 * ok / probes, 3)),
    )
    p95 = e.one(
        "select quantile_cont(latency_ms, 0.95) from raw.health_checks "
        "where service_id = 'api' and ok and not planned_maintenance "
        "and (checked_at at time zone $tz)::date >= $first "
        "and (checked_at at time zone $tz)::date < $following",
        tz=e.tz,
        first=first,
        following=following,
    )
    title = "Latency per service, quarter against the quarter before (ms)"
    assert e.page.row(title, "service_id", "api")["p95_ms"] == cell(round(p95, 1))


def optimization_report(e: Export) -> None:
    first, following = _quarter_reported(e.as_of)
    # items finished in the quarter, counted on the raw work items
    done = e.one(
        "select count(*) from raw.work_items where started_at is not null "
        "and (done_at at time zone $tz)::date >= $first "
        "and (done_at at time zone $tz)::date < $following",
        tz=e.tz,
        first=first,
        following=following,
    )
    title = "Flow, last complete quarter against the one before"
    [everything] = [
        row for row in e.page.rows(title) if (row["item_type"], row["team"]) == ("all", "all")
    ]
    assert everything["throughput"] == cell(done)
    resolved, mttr = e.db.execute(
        "select count(*), avg(minutes_to_resolve) from reliability.incidents "
        "where resolved_date >= $first and resolved_date < $following",
        {"first": first, "following": following},
    ).fetchone()
    title = "MTTR per quarter (incidents resolved in the quarter, minutes)"
    row = e.page.row(title, "quarter", first.isoformat())
    assert (row["incidents_resolved"], row["mttr_minutes"]) == (
        cell(resolved),
        cell(round(mttr, 1)),
    )


# report name -> its key numbers, checked against the tables it reads
CHECKS: dict[str, Callable[[Export], None]] = {
    check.__name__: check
    for check in [
        daily_metrics_snapshot,
        support_ticket_summary,
        health_status_report,
        weekly_analytics_report,
        weekly_feedback_summary,
        growth_metrics_report,
        biweekly_insights_report,
        experiment_results_summary,
        published_content_report,
        monthly_financial_report,
        compliance_status_report,
        quarterly_performance_report,
        optimization_report,
    ]
}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The demo as the README builds it, small: generated, loaded and materialised by `nexus`."""
    env = deployment(tmp_path_factory.mktemp("report_exports"))
    nexus(env, "demo", *DEMO)
    return env


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_export_holds_every_section_and_the_tables_numbers(
    demo: dict[str, str], tmp_path: Path, name: str
) -> None:
    out = tmp_path / f"{name}.html"
    said = nexus(demo, "report", name, "--format", "html", "--out", str(out))
    page = Page(out.read_text(encoding="utf-8"))

    [report] = [report for report in load_reports() if report.name == name]
    assert list(page.sections) == [section.spec.title for section in report.sections]
    pictures = sum(section.spec.show == "picture" for section in report.sections)
    sources = [src for section in page.sections.values() for src in section.images]
    assert len(sources) == pictures
    for src in sources:
        assert src.startswith(PICTURE)
        assert base64.b64decode(src.removeprefix(PICTURE), validate=True)[:8] == PNG_SIGNATURE
    for section in page.sections.values():
        assert "<NA>" not in section.text and "nan" not in section.text.split()

    day = re.search(r" as of (\d{4}-\d\d-\d\d) ", said)
    assert day and page.title.startswith(report.title)
    with duckdb.connect(demo["NEXUS_DUCKDB_PATH"], read_only=True) as connection:
        CHECKS[name](
            Export(page, date.fromisoformat(day.group(1)), connection, load_settings().tz.key)
        )
