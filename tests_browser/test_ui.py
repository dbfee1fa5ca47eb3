"""What an analyst sees in the Dagster UI after a demo, in a real browser: the catalog, the
scorecard, a retention asset with its picture and the alerts. Each page is held against what
the warehouse or the `nexus` command says, shows no error, and is saved to docs/images/ for the
README."""

from __future__ import annotations

import json
import re

import yaml
from deployment import nexus, query
from playwright.sync_api import Locator, Page, expect
from uipage import INCIDENT, VIEWPORT, UiPage, graphql

from nexus_pipelines.settings import PROJECT_DIR

SCORECARD = "reporting/scorecard"
RETENTION = "growth/cohort_retention_weekly"  # 60 days: nine weekly cohorts, three monthly
ALERTS = "reporting/alerts"


def row_of(page: Page, label: str) -> Locator:
    """The table rows with a cell of exactly `label` (a metadata key, a metric): the row itself,
    not the metadata row around a table that holds it."""
    return page.locator(f'xpath=//tr[td[normalize-space(.)="{label}"]]')


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


def test_catalog_lists_every_asset_as_materialised(ui: UiPage) -> None:
    served = graphql(ui.url, "{ assetNodes { assetKey { path } } }")["data"]["assetNodes"]
    keys = sorted("/".join(node["assetKey"]["path"]) for node in served)
    assert {SCORECARD, RETENTION} <= set(keys)
    page = ui.page
    # the catalog renders only the rows in view: a window tall enough to hold them all
    page.set_viewport_size({"width": VIEWPORT["width"], "height": 80 * len(keys) + 400})
    ui.open("/assets")
    rows = page.locator('[class*="VirtualizedTable_row"]')
    for key in keys:
        row = rows.filter(has=page.locator(f'a[href="/assets/{key}"]'))
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
