"""Every playbook-output report exported to HTML by the real `nexus report` on one small demo
built by the real `nexus demo`: each declared section title is a heading, each picture an
embedded PNG, and a few key numbers per report equal what this module's own SQL computes on the
tables the report reads, written as the report writes a cell (a count with thousands
separators, any other number with two decimals). Each report is checked as of the version
`nexus materialize` stored, its cadence's newest complete period, whose days this module derives
by hand. Adding a report is one entry in CHECKS."""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from html.parser import HTMLParser
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pytest
from deployment import YESTERDAY, deployment, nexus

from nexus_pipelines.playbook import success_metrics
from nexus_pipelines.reports import Report, load_reports
from nexus_pipelines.settings import load_settings

PICTURE = "data:image/png;base64,"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


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

    def day_end(self, day: date) -> datetime:
        """The instant `day` ends in the reporting timezone."""
        return datetime.combine(day + timedelta(days=1), time(), ZoneInfo(self.tz))


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


def period_as_of(cadence: str, data_last_day: date) -> date:
    """The day `nexus materialize` renders a report of a cadence as of: the data's last day for
    a daily one, else the last day of the newest period complete on it (weekly and biweekly:
    the last complete ISO week's Sunday)."""
    if cadence == "daily":
        return data_last_day
    if cadence in {"weekly", "biweekly"}:
        return _last_complete_week(data_last_day) + timedelta(days=6)
    if cadence == "monthly":
        return (data_last_day + timedelta(days=1)).replace(day=1) - timedelta(days=1)
    assert cadence == "quarterly", cadence
    return _quarter_reported(data_last_day)[1] - timedelta(days=1)


# A small demo on which every report below has rows whatever day it runs: its days reach back
# to the first day of the quarter before today's (so the last complete quarter, which the
# quarterly reports are of, is whole), and never fewer than 120 (a complete month, mature
# cohorts).
DEMO_FIRST_DAY = _quarter_reported(YESTERDAY)[0]
DEMO = ["--users", "300", "--seed", "7"]
DEMO += ["--days", str(max(120, (YESTERDAY + timedelta(days=1) - DEMO_FIRST_DAY).days))]


def against_baseline(e: Export, report: Report) -> None:
    """The section a report with `baseline:` ends with: each metric's value on the as-of day
    and at the baseline, as reporting.scorecard and reporting.baseline hold them."""
    names = {metric.id: metric.name for metric in success_metrics()}
    rows = e.page.rows("Against the baseline")
    assert [row["metric"] for row in rows] == [
        name for metric, name in names.items() if metric in report.spec.baseline
    ]
    for metric in report.spec.baseline:
        [today] = e.db.execute(
            "select value from reporting.scorecard where metric = $metric and as_of = $day",
            {"metric": metric, "day": e.as_of},
        ).fetchall() or [(None,)]
        [baseline] = e.db.execute(
            "select value from reporting.baseline where metric = $metric", {"metric": metric}
        ).fetchall() or [(None,)]
        row = e.page.row("Against the baseline", "metric", names[metric])
        assert (row["value"], row["baseline"]) == tuple(
            "" if value is None else cell(round(value, 2)) for value in (today[0], baseline[0])
        ), metric


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
    # the baseline day, and the first days of the metrics without a value on it
    days = e.db.execute(
        "select baseline_date, count(value), count(*) from reporting.baseline "
        "group by baseline_date order by baseline_date"
    ).fetchall()
    shown = [
        (row["baseline_date"], row["metrics_with_a_value"], row["metrics"])
        for row in e.page.rows("Baseline")
    ]
    assert shown == [(day.isoformat(), cell(valued), cell(count)) for day, valued, count in days]


def support_ticket_summary(e: Export) -> None:
    # the day itself first: tickets opened that calendar day, counted on the raw tickets
    [latest, *_] = e.page.rows("Last 14 days")
    assert latest["summary_date"] == e.as_of.isoformat()
    opened = e.one(
        "select count(*) from raw.support_tickets where (created_at at time zone $tz)::date = $day",
        tz=e.tz,
        day=e.as_of,
    )
    assert latest["tickets_created"] == cell(opened)
    # open at the end of the day: created before it ends, not resolved by then
    open_then = dict(
        e.db.execute(
            "select priority, count(*) from raw.support_tickets "
            "where created_at < $end and coalesce(resolved_at >= $end, true) group by all",
            {"end": e.day_end(e.as_of)},
        ).fetchall()
    )
    title = "Open tickets by priority at the end of the day"
    shown = {row["priority"]: row["open_tickets"] for row in e.page.rows(title)}
    assert shown == {priority: cell(n) for priority, n in open_then.items()}
    [day] = e.page.rows("The day")
    assert (day["summary_date"], day["opened"], day["open_at_end"]) == (
        e.as_of.isoformat(),
        cell(opened),
        cell(sum(open_then.values())),
    )


def health_status_report(e: Export) -> None:
    title = "Uptime, the 7 days ending with the day (planned maintenance excluded)"
    for service in ("overall", "data_pipeline"):
        probes, uptime = e.db.execute(
            "select sum(probes)::bigint, 100.0 * sum(ok_probes) / sum(probes) "
            "from reliability.uptime_daily where service_id = $service "
            "and uptime_date between $day - 6 and $day",
            {"service": service, "day": e.as_of},
        ).fetchone()
        row = e.page.row(title, "service_id", service)
        assert (row["probes"], row["uptime_pct_7d"]) == (cell(probes), cell(uptime))
    p95 = e.one(
        "select latency_p95_ms from reliability.latency_daily "
        "where service_id = 'api' and latency_date = $day",
        day=e.as_of,
    )
    latency = e.page.row("Latency on the day (ms)", "service_id", "api")
    assert latency["latency_p95_ms"] == cell(p95)
    open_then = e.one(
        "select count(*) from reliability.incidents "
        "where detected_at < $end and coalesce(resolved_at >= $end, true)",
        end=e.day_end(e.as_of),
    )
    assert len(e.page.rows("Incidents open at the end of the day")) == open_then
    detected = e.one(
        "select count(*) from reliability.incidents "
        "where date_trunc('month', (detected_at at time zone $tz)::date) = $month",
        tz=e.tz,
        month=e.as_of.replace(day=1),
    )
    months = [
        (row["month"], row["incidents_detected"])
        for row in e.page.rows("Incidents this month and last")
        if row["severity"] == "all"
    ]
    assert months[0] == (f"{e.as_of:%Y-%m}", cell(detected))


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
    # the month holding the as-of day, to that day, counted on the raw responses
    month = e.as_of.replace(day=1)
    responses = e.one(
        "select count(*) from raw.nps_responses "
        "where (responded_at at time zone $tz)::date between $month and $day",
        tz=e.tz,
        month=month,
        day=e.as_of,
    )
    title = "NPS per month to the day, whole base (points, 95 % interval)"
    row = e.page.row(title, "month", month.isoformat())
    complete = (e.as_of + timedelta(days=1)).day == 1
    assert (row["responses"], row["is_complete"]) == (cell(responses), "yes" if complete else "no")
    # the week: Monday to the as-of day (a Sunday), its feedback on the raw items
    week = e.as_of - timedelta(days=6)
    items = e.one(
        "select count(*) from raw.feedback_items "
        "where (received_at at time zone $tz)::date between $first and $last",
        tz=e.tz,
        first=week,
        last=e.as_of,
    )
    rows = e.page.rows("Feedback themes of the week, against the trailing weeks")
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
    # the fortnight: the ISO week ending on the as-of day (a Sunday) and the week before
    items = e.one(
        "select count(*) from raw.feedback_items "
        "where (received_at at time zone $tz)::date between $first and $last",
        tz=e.tz,
        first=e.as_of - timedelta(days=13),
        last=e.as_of,
    )
    assert e.page.number("Feedback items in the fortnight") == cell(items)
    rising = e.one(
        "select count(*) from voice.feedback_insights "
        "where fortnight_end = $day and rising_rank is not null",
        day=e.as_of,
    )
    title = "Rising fastest (share of the fortnight against the trailing fortnights)"
    assert len(e.page.rows(title)) == min(rising, 5)


def experiment_results_summary(e: Export) -> None:
    # the fortnight: the ISO week ending on the as-of day (a Sunday) and the week before
    span = {"tz": e.tz, "first": e.as_of - timedelta(days=13), "day": e.as_of}
    completed = [
        experiment
        for (experiment,) in e.db.execute(
            "select experiment_id from experiments.experiment_status where status = 'completed' "
            "and (ended_at at time zone $tz)::date between $first and $day "
            "order by ended_at desc, experiment_id",
            span,
        ).fetchall()
    ]
    shown = [
        row["experiment_id"]
        for row in e.page.rows("Tests completed in the fortnight and their outcomes")
    ]
    assert shown == (completed or ["none: no experiment completed in the fortnight"])
    # the summary's experiments: completed in the fortnight, or started by the day and not
    # ended by it
    summary = (
        "select experiment_id, srm_passed from experiments.experiment_status "
        "where (status = 'completed' and (ended_at at time zone $tz)::date between $first and $day)"
        " or (status <> 'planned' and (started_at at time zone $tz)::date <= $day "
        "and coalesce((ended_at at time zone $tz)::date > $day, true))"
    )
    srm = dict(e.db.execute(summary, span).fetchall())
    assert srm
    # a treatment's users: those assigned to it whose outcome has been observed
    users = dict(
        e.db.execute(
            "select experiment_id || '/' || variant, count(*) from raw.experiment_assignments "
            "semi join raw.experiment_outcomes using (experiment_id, user_id) "
            "where variant <> 'control' group by all"
        ).fetchall()
    )
    title = "Statistical validation, per treatment against control (running = interim)"
    rows = e.page.rows(title)
    assert {row["experiment_id"] for row in rows} == set(srm)
    for row in rows:
        assert row["users"] == cell(users[f"{row['experiment_id']}/{row['variant']}"])
    mismatched = sum(not passed for passed in srm.values())
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
    month = e.as_of.replace(day=1)  # the month ending on the as-of day
    passing, evaluated = e.db.execute(
        "select count(*) filter (where status = 'pass'), "
        "count(*) filter (where status in ('pass', 'fail')) from compliance.control_results "
        "where period_month = $month",
        {"month": month},
    ).fetchone()
    title = "Regulatory adherence of the month (target > 98 %)"
    assert e.page.number(title) == cell(100.0 * passing / evaluated)
    [latest, *_] = e.page.rows("Adherence history")
    assert (latest["month"], latest["controls_passing"], latest["controls_evaluated"]) == (
        month.isoformat(),
        cell(passing),
        cell(evaluated),
    )
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
    # open at the end of the as-of day: received before it ends, not closed by then
    open_then = [
        request
        for (request,) in e.db.execute(
            "select request_id from raw.data_subject_requests "
            "where received_at < $end and coalesce(closed_at >= $end, true) order by request_id",
            {"end": e.day_end(e.as_of)},
        ).fetchall()
    ]
    shown_requests = e.page.rows("Data-subject requests open and due")
    assert sorted(row["request_id"] for row in shown_requests) == open_then


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


# work items done on a day (reporting timezone); one done before it started counts nowhere
ITEMS_DONE = (
    "select count(*) from raw.work_items where (done_at at time zone $tz)::date "
    "between $first and $last and coalesce(done_at >= started_at, true)"
)


def sprint_plan(e: Export) -> None:
    # the plan's week holds the as-of day (a Sunday); capacity comes from the six weeks before
    monday = e.as_of - timedelta(days=6)
    weeks = [monday - timedelta(days=7 * back) for back in range(6, 0, -1)]
    done = [e.one(ITEMS_DONE, tz=e.tz, first=week, last=week + timedelta(days=6)) for week in weeks]
    shown = [
        (row["week_start"], row["items_done"]) for row in e.page.rows("Items done per ISO week")
    ]
    assert shown == [(week.isoformat(), cell(n)) for week, n in zip(weeks, done, strict=True)]
    [sprint] = e.page.rows(
        "Suggested sprint (capacity = mean items done per week, six weeks before)"
    )
    assert sprint["throughput_mean_per_week"] == cell(sum(done) / 6)


def weekly_status_update(e: Export) -> None:
    # the week: Monday to the as-of day (a Sunday), against the week before
    this_week, week_before = (
        e.one(
            ITEMS_DONE,
            tz=e.tz,
            first=e.as_of - timedelta(days=days),
            last=e.as_of - timedelta(days=days - 6),
        )
        for days in (6, 13)
    )
    title = "Work done in the week, per team and type (against the week before)"
    [total] = [
        row for row in e.page.rows(title) if (row["team"], row["item_type"]) == ("all", "all")
    ]
    assert (total["week"], total["items_done"], total["items_done_previous_week"]) == (
        f"{e.as_of:%G-W%V}",
        cell(this_week),
        cell(week_before),
    )
    assert this_week and len(e.page.rows("Work done in the week")) == this_week


def tech_debt_assessment(e: Export) -> None:
    first = _quarter_reported(e.as_of)[0]  # as of a quarter's last day: that quarter
    span = {"tz": e.tz, "first": first, "last": e.as_of}
    done = e.one(ITEMS_DONE + " and started_at is not null", **span)
    debt_done = e.one(
        ITEMS_DONE + " and started_at is not null and item_type = 'tech_debt'", **span
    )
    filed = e.one(
        "select count(*) from raw.work_items where item_type = 'tech_debt' "
        "and (created_at at time zone $tz)::date between $first and $last",
        **span,
    )
    title = "Tech-debt work and share of capacity, this quarter and the one before"
    row = e.page.row(title, "period_start", first.isoformat())
    assert (row["tech_debt_filed"], row["tech_debt_done"], row["items_done"]) == (
        cell(filed),
        cell(debt_done),
        cell(done),
    )
    assert row["capacity_share_pct"] == cell(round(100 * debt_done / done, 1))
    # open at the end of the as-of day: filed before it ends, not done by then
    still_open = e.one(
        "select count(*) from raw.work_items where item_type = 'tech_debt' "
        "and created_at < $end and coalesce(done_at >= $end, true)",
        end=e.day_end(e.as_of),
    )
    [summary] = e.page.rows("Open tech-debt items and their age (days)")
    assert summary["open_items"] == cell(still_open)


def _signups(e: Export, first: date, last: date) -> int:
    return e.one(
        "select sum(signups)::bigint from growth.signups_by_channel_daily "
        "where signup_date between $first and $last",
        first=first,
        last=last,
    )


def monthly_growth_review(e: Export) -> None:
    month = e.as_of.replace(day=1)  # as of a month's last day: that month
    before = (month - timedelta(days=1)).replace(day=1)
    spend = e.one(
        "select sum(amount) from raw.marketing_spend where spend_date between $first and $last",
        first=month,
        last=e.as_of,
    )
    title = "Channel performance: acquisition by channel, the month against the month before"
    total = e.page.row(title, "channel", "total")
    assert (total["signups"], total["month_before"], total["spend"]) == (
        cell(_signups(e, month, e.as_of)),
        cell(_signups(e, before, month - timedelta(days=1))),
        cell(spend),
    )


def monthly_executive_summary(e: Export) -> None:
    month = e.as_of.replace(day=1)  # as of a month's last day: that month
    before = month - timedelta(days=1)
    mrr = dict(
        e.db.execute(
            "select month, mrr from revenue.mrr_monthly where month in ($month, $before)",
            {"month": month, "before": before.replace(day=1)},
        ).fetchall()
    )
    row = e.page.row("Revenue: the month against the month before", "measure", "MRR at month end")
    assert (row["this_month"], row["month_before"]) == tuple(
        cell(round(float(mrr[first]), 2)) for first in (month, before.replace(day=1))
    )
    # the column mixes money with counts: DuckDB makes it a double
    row = e.page.row("Growth: the month against the month before", "measure", "Signups")
    assert (row["this_month"], row["month_before"]) == (
        cell(float(_signups(e, month, e.as_of))),
        cell(float(_signups(e, before.replace(day=1), before))),
    )
    assert e.page.number("Month") == f"{month:%Y-%m}: {month} to {e.as_of}, against {before:%Y-%m}"
    counts = dict(
        e.db.execute(
            "select status, count(*) from reporting.scorecard where as_of = $day group by all",
            {"day": e.as_of},
        ).fetchall()
    )
    assert e.page.number("Scorecard: met, missed, without data") == (
        f"{counts.get('met', 0)} met, {counts.get('missed', 0)} missed, "
        f"{counts.get('no data', 0)} no data"
    )


def _month_reported_rows(e: Export) -> None:
    """The `Month reported` row of the market domain's monthly reports."""
    month = e.as_of.replace(day=1)
    before = month - timedelta(days=1)
    [row] = e.page.rows("Month reported")
    assert (row["month"], row["first_day"], row["through"], row["previous_last_day"]) == (
        f"{month:%Y-%m}",
        month.isoformat(),
        e.as_of.isoformat(),
        before.isoformat(),
    )


def monthly_market_brief(e: Export) -> None:
    _month_reported_rows(e)
    signals = dict(
        e.db.execute(
            "select impact, count(*) from raw.market_signals "
            "where observed_on between $first and $last group by all",
            {"first": e.as_of.replace(day=1), "last": e.as_of},
        ).fetchall()
    )
    assert signals
    title = "Signals by category and impact, against the month before"
    shown = {
        row["impact"]: row["signals"] for row in e.page.rows(title) if row["category"] == "all"
    }
    assert {impact: n for impact, n in shown.items() if n != "0"} == {
        impact: cell(n) for impact, n in signals.items()
    }


def _mentions(e: Export, first: date, last: date) -> int:
    return e.one(
        "select count(*) from raw.brand_mentions "
        "where (mentioned_at at time zone $tz)::date between $first and $last",
        tz=e.tz,
        first=first,
        last=last,
    )


def brand_health_report(e: Export) -> None:
    _month_reported_rows(e)
    month = e.as_of.replace(day=1)
    before = (month - timedelta(days=1)).replace(day=1)
    title = "Brand mentions per channel, against the month before"
    every = e.page.row(title, "channel", "all")
    assert (every["mentions"], every["previous_mentions"]) == (
        cell(_mentions(e, month, e.as_of)),
        cell(_mentions(e, before, month - timedelta(days=1))),
    )


def quarterly_strategic_review(e: Export) -> None:
    first, following = _quarter_reported(e.as_of)  # as of a quarter's last day: that quarter
    [quarter, _] = e.page.rows("Quarters compared")
    assert (quarter["first_day"], quarter["last_day"], quarter["days"]) == (
        first.isoformat(),
        e.as_of.isoformat(),
        cell((following - first).days),
    )
    title = "Market position: brand perception (brand mentions and sentiment)"
    assert e.page.row(title, "channel", "all")["mentions"] == cell(_mentions(e, first, e.as_of))
    title = "Growth strategy: channel effectiveness (signups, new customers, CAC)"
    blended = e.page.row(title, "channel", "blended")
    assert blended["signups"] == cell(_signups(e, first, e.as_of))


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
        sprint_plan,
        weekly_status_update,
        tech_debt_assessment,
        monthly_growth_review,
        monthly_executive_summary,
        monthly_market_brief,
        brand_health_report,
        quarterly_strategic_review,
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

    # the version `nexus materialize` stored: its period's newest complete one
    with duckdb.connect(demo["NEXUS_DUCKDB_PATH"], read_only=True) as connection:
        [(as_of,)] = connection.execute(f"select as_of from {report.table}").fetchall()
        assert as_of == period_as_of(report.cadence_id, YESTERDAY)
        assert f" as of {as_of} " in said and page.title == f"{report.title}, as of {as_of}"
        export = Export(page, as_of, connection, load_settings().tz.key)
        CHECKS[name](export)
        if report.spec.baseline:
            against_baseline(export, report)
        else:
            assert "Against the baseline" not in page.sections
