"""What an analyst sees in the Dagster UI after a demo, in a real browser: the catalog, the
scorecard, a retention asset with its picture, the alerts and three reports. Each page is held
against what the warehouse or the `nexus` command says, shows no error, and is saved to
docs/images/ for the README."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta

import pytest
import yaml
from deployment import nexus, query
from playwright.sync_api import Locator, Page, expect
from uipage import INCIDENT, VIEWPORT, UiPage, graphql

from nexus_pipelines.partitions import NEWEST_PERIOD, REBUILD_TAG
from nexus_pipelines.reports import load_reports
from nexus_pipelines.settings import PROJECT_DIR

SCORECARD = "reporting/scorecard"
RETENTION = "growth/cohort_retention_weekly"
ALERTS = "reporting/alerts"
# the reports of the README's pictures (reporting/<report>), and their pictures' names
REPORTS = [
    ("daily_metrics_snapshot", "daily_snapshot"),
    ("monthly_executive_summary", "executive_summary"),
    ("quarterly_strategic_review", "strategic_review"),
]


def row_of(within: Page | Locator, label: str) -> Locator:
    """The table rows (in the page, or in a dialog) with a cell of exactly `label` (a metadata
    key, a metric): the row itself, not the metadata row around a table that holds it."""
    return within.locator(f'xpath=.//tr[td[normalize-space(.)="{label}"]]')


def cells(row: Locator) -> list[str]:
    return [text.strip() for text in row.locator("xpath=./td").all_inner_texts()]


def bring_to_top(row: Locator) -> None:
    """Scroll the metadata entry holding `row`'s table (key, time and table) to the top of the
    page for its screenshot, its key in view: not scrolled sideways to a wide table's edge."""
    row.evaluate(
        """row => {
            const table = row.closest('table');
            (table.parentElement.closest('tr') || table).scrollIntoView({block: 'start'});
            for (let node = table; node; node = node.parentElement) node.scrollLeft = 0;
        }"""
    )


def first_number(text: str) -> float:
    """The number a formatted cell shows ("63.16", "63.2 %", "1,234"), without its separators."""
    found = re.search(r"-?\d[\d,]*(?:\.\d+)?", text)
    assert found, text
    return float(found.group().replace(",", ""))


def partition_count(row: Locator, status: str) -> Locator:
    """The count the catalog shows next to a partition status's icon (success, failure...)."""
    return row.locator(f'xpath=.//*[@aria-label="partition_{status}"]/..').first


def test_catalog_lists_every_asset_as_materialised(ui: UiPage) -> None:
    """Every asset is materialised (all its partitions), but a report that `nexus materialize`
    renders for its newest complete period alone (its other periods are the UI's to backfill):
    that one partition, and none failed."""
    query = "{ assetNodes { assetKey { path } tags { key value } } }"
    served = graphql(ui.url, query)["data"]["assetNodes"]
    keys = sorted("/".join(node["assetKey"]["path"]) for node in served)
    newest_only = {
        "/".join(node["assetKey"]["path"])
        for node in served
        if {"key": REBUILD_TAG, "value": NEWEST_PERIOD} in node["tags"]
    }
    assert {SCORECARD, RETENTION} <= set(keys)
    assert newest_only >= {f"reporting/{report}" for report, _ in REPORTS}, newest_only
    page = ui.page
    # the catalog renders only the rows in view: a window tall enough to hold them all
    page.set_viewport_size({"width": VIEWPORT["width"], "height": 80 * len(keys) + 400})
    ui.open("/assets")
    rows = page.locator('[class*="VirtualizedTable_row"]')
    for key in keys:
        row = rows.filter(has=page.locator(f'a[href="/assets/{key}"]'))
        if key in newest_only:
            # "All" when the newest period is the only one (the quarter of a short demo)
            expect(partition_count(row, "success")).to_have_text(re.compile(r"^(1|All)$"))
            expect(partition_count(row, "failure")).to_have_text("0")
            continue
        # "Materialized", or "All" partitions (once the status has loaded)
        expect(row.get_by_text(re.compile(r"^(Materialized|All)$"))).to_be_visible()
        text = row.inner_text()
        assert not re.search(r"Failed|Missing|Never materialized", text), f"{key}: {text!r}"
    page.set_viewport_size(VIEWPORT)
    ui.assert_no_errors()
    ui.screenshot("catalog")


def test_scorecard_lists_each_metric_with_its_status(ui: UiPage, demo: dict[str, str]) -> None:
    """Every success metric is on the scorecard's page, inline, with the status the `nexus
    scorecard` command gives it (met, missed or no data)."""
    scored = json.loads(nexus(demo, "scorecard", "--json"))
    playbook = yaml.safe_load((PROJECT_DIR / "assets/playbook/success_metrics.yaml").read_text())
    names = {metric["id"]: metric["name"] for metric in playbook["metrics"]}
    assert {row["metric"] for row in scored} == set(names)
    assert {row["status"] for row in scored} >= {"met", "missed", "no data"}
    page = ui.page
    ui.open(f"/assets/{SCORECARD}")
    ui.widen()
    expect(page).to_have_title(re.compile(r"reporting / scorecard"))
    for row in scored:
        # the table may name a metric by its id or by the playbook's name
        line = row_of(page, row["metric"]).or_(row_of(page, names[row["metric"]])).first
        expect(line).to_be_visible()
        shown = cells(line)
        status = re.compile(rf"(?<!\w){row['status']}(?!\w)")
        assert any(status.search(cell) for cell in shown), (row, shown)
    bring_to_top(line)
    ui.assert_no_errors()
    ui.screenshot("scorecard")


def test_retention_asset_shows_its_headline_and_heat_map(ui: UiPage, demo: dict[str, str]) -> None:
    """The headline reads what the table holds, and the heat map opens as a real picture."""
    [(latest_mature,)] = query(
        demo,
        "select retention_pct from growth.cohort_retention_weekly "
        "where week_number = 1 and retention_pct is not null order by signup_week desc limit 1",
    )
    page = ui.page
    ui.open(f"/assets/{RETENTION}")
    ui.widen()
    expect(page).to_have_title(re.compile(r"growth / cohort_retention_weekly"))
    headline = row_of(page, "week1_retention_pct_latest_mature")
    expect(headline).to_be_visible()
    assert abs(first_number(cells(headline)[-1]) - latest_mature) < 0.05, cells(headline)
    heat_map = row_of(page, "retention_heatmap")
    heat_map.get_by_text("Show Markdown").click()
    picture = page.get_by_role("dialog").locator('img[src^="data:image/png"]')
    expect(picture).to_be_visible()
    expect(page.get_by_role("dialog")).to_contain_text("retention_heatmap")
    size = picture.evaluate("img => img.complete ? [img.naturalWidth, img.naturalHeight] : [0, 0]")
    assert size[0] > 0 and size[1] > 0, size
    ui.assert_no_errors()
    ui.screenshot("retention")


def test_alerts_asset_lists_its_alerts(ui: UiPage) -> None:
    """The alerts asset's page lists the alert in the record with its incident, severity and
    state, in a table with when it was first and last seen."""
    page = ui.page
    ui.open(f"/assets/{ALERTS}")
    ui.widen()
    expect(page).to_have_title(re.compile(r"reporting / alerts"))
    header = page.locator("xpath=//tr[th]").filter(has_text=re.compile("severity", re.IGNORECASE))
    expect(header.first).to_be_visible()
    columns = {
        text.strip().lower().replace("_", " ")
        for text in header.first.locator("xpath=./th").all_inner_texts()
    }
    assert {"severity", "first seen", "last seen", "state"} <= columns, columns
    alert = row_of(page, INCIDENT)
    expect(alert).to_have_count(1)
    shown = cells(alert)
    assert {"P1", "open"} <= set(shown), shown
    bring_to_top(header.first)
    ui.assert_no_errors()
    ui.screenshot("alerts")


def stored_version(demo: dict[str, str], report: str) -> tuple[date, str]:
    """The newest version of a report in its store: its as-of day and its markdown."""
    [(as_of, markdown)] = query(
        demo,
        f"select as_of, report_markdown from reporting.{report} order by as_of desc limit 1",
    )
    return as_of, markdown


def last_complete_quarter_end(today: date) -> date:
    """The last day of the quarter before today's (the demo's data ends the day before)."""
    return date(today.year, (today.month - 1) // 3 * 3 + 1, 1) - timedelta(days=1)


def key_number(demo: dict[str, str], report: str) -> list[str]:
    """One number the report's newest version shows, worked out here from the table it comes
    from (not with the report's own query): the first cells of the table row that shows it, or
    the one cell of a section of one bold number."""
    newest = f"(select max(as_of) from reporting.{report})"
    if report == "daily_metrics_snapshot":  # the day's activation rate, on the scorecard
        [(value,)] = query(
            demo,
            "select value from reporting.scorecard "
            f"where as_of = {newest} and metric = 'activation_rate_pct'",
        )
        return ["Activation rate", "%", f"{value:.2f}"]
    if report == "monthly_executive_summary":  # the scorecard's statuses on the month's last day
        [(met, missed, no_data)] = query(
            demo,
            "select count(*) filter (where status = 'met'), "
            "count(*) filter (where status = 'missed'), "
            "count(*) filter (where status = 'no data') "
            f"from reporting.scorecard where as_of = {newest}",
        )
        assert met + missed + no_data > 0
        return [f"{met} met, {missed} missed, {no_data} no data"]
    # the market signals observed in the quarter: the competitive landscape's 'all' row
    [(signals,)] = query(
        demo,
        "select count(*) from raw.market_signals "
        f"where observed_on between date_trunc('quarter', {newest}) and {newest}",
    )
    assert signals > 0, "the demo feeds market signals"
    return ["all", "all", f"{signals:,}"]


@pytest.mark.parametrize(("report", "picture"), REPORTS)
def test_report_reads_as_markdown(
    ui: UiPage, demo: dict[str, str], report: str, picture: str
) -> None:
    """A report's page opens its markdown (the `report` metadata) as the UI renders it: the
    title with the as-of day of the newest version in the store, then every section the
    declaration names, in order, and a number worked out from its source table, which the
    stored version holds too. The quarterly review is of the last complete quarter."""
    [declared] = [r for r in load_reports() if r.key.path == ["reporting", report]]
    as_of, markdown = stored_version(demo, report)
    if report == "quarterly_strategic_review":
        assert as_of == last_complete_quarter_end(datetime.now(UTC).date()), as_of
    shows = key_number(demo, report)
    page = ui.page
    ui.open(f"/assets/reporting/{report}")
    ui.widen()
    expect(page).to_have_title(re.compile(rf"reporting / {report}"))
    row_of(page, "report").get_by_text("Show Markdown").click()
    dialog = page.get_by_role("dialog")
    headings = [f"{declared.title}, as of {as_of}"] + [s.spec.title for s in declared.sections]
    expect(dialog.locator("h1, h2")).to_have_text(headings)
    if len(shows) > 1:  # a table row beginning with those cells, in the store and on the page
        assert any(
            line.startswith("| " + " | ".join(shows) + " |") for line in markdown.splitlines()
        ), shows
        rows = row_of(dialog, shows[0])
        expect(rows.first).to_be_visible()
        shown = [cells(row)[: len(shows)] for row in rows.all()]
        assert shows in shown, (shows, shown)
    else:  # a number section: one bold line
        assert f"**{shows[0]}**" in markdown, shows
        expect(dialog.get_by_text(shows[0], exact=True)).to_be_visible()
    # the dialog's top (its key, the title and the first sections) in view, not its Close button
    dialog.evaluate("d => d.scrollIntoView({block: 'start'})")
    expect(dialog.locator("h1")).to_be_in_viewport()
    ui.assert_no_errors()
    ui.screenshot(picture)
