"""The baseline (reporting.baseline) and the Daily metrics snapshot, over a scorecard history
written by hand: the baseline's day by the default rule and by the setting, and the snapshot's
changes against the day before, the same weekday last week and the baseline."""

from datetime import date, timedelta

import dagster as dg
import pytest
from report_runs import materialize

from nexus_pipelines.project import project
from nexus_pipelines.reports import build_report_assets
from nexus_pipelines.sql_assets import build_sql_assets
from nexus_pipelines.warehouse import Warehouse

BASELINE = dg.AssetKey(["reporting", "baseline"])
SNAPSHOT = dg.AssetKey(["reporting", "daily_metrics_snapshot"])
FIRST, LAST = date(2025, 1, 1), date(2025, 3, 10)
NULL_DAY = date(2025, 1, 20)  # every metric without a value: January is not complete
# mttr_minutes is 45 every day but these (target < 30)
MTTR = {LAST: 20.0, LAST - timedelta(days=1): 35.0, date(2025, 3, 3): 40.0, date(2025, 2, 28): 50.0}
PLAYBOOK = {  # metric: (name, category, comparator, target, unit, owner)
    "uptime_pct": ("System uptime", "Reliability", ">", 99.9, "%", "Infrastructure Maintainer"),
    "mttr_minutes": ("MTTR", "Reliability", "<", 30.0, "min", "Infrastructure Maintainer"),
    "ltv_to_cac": ("LTV:CAC ratio", "Revenue", ">", 3.0, "ratio", "Finance Tracker"),
    "nps": ("NPS score", "Customer", ">", 50.0, "score", "Feedback Synthesizer"),
}


def value_of(metric: str, day: date) -> float | None:
    """The hand history: uptime 99.95 every day; MTTR 45 but on the MTTR days; LTV:CAC the days
    since 1 January 2025 (so 9 on 10 January, 58 on 28 February, 68 on 10 March); NPS never."""
    if day == NULL_DAY or metric == "nps":
        return None
    return {
        "uptime_pct": 99.95,
        "mttr_minutes": MTTR.get(day, 45.0),
        "ltv_to_cac": float((day - date(2025, 1, 1)).days),
    }[metric]


def status_of(value: float | None, comparator: str, target: float) -> str:
    if value is None:
        return "no data"
    return "met" if (value > target if comparator == ">" else value < target) else "missed"


def write_history(warehouse: Warehouse, first: date = FIRST, last: date = LAST) -> None:
    """reporting.scorecard as the scorecard's hook stores it, for [first, last], and one raw row
    whose day is the data's last (the day the snapshot is as of)."""
    rows = []
    for offset in range((last - first).days + 1):
        day = first + timedelta(days=offset)
        for metric, (name, category, comparator, target, unit, owner) in PLAYBOOK.items():
            value = value_of(metric, day)
            status = status_of(value, comparator, target)
            rows.append(
                (day, metric, name, category, value, comparator, target, unit, status, owner, "")
            )
    with warehouse.get_connection() as connection:
        connection.execute("create schema if not exists reporting")
        connection.execute(
            "create table reporting.scorecard (as_of date, metric varchar, name varchar, "
            "category varchar, value double, comparator varchar, target double, unit varchar, "
            "status varchar, owner varchar, note varchar)"
        )
        connection.executemany(
            "insert into reporting.scorecard values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows
        )
        connection.execute("create schema if not exists raw")
        connection.execute(
            f"create table raw.users as select timestamptz '{last} 12:00:00+00' as signup_at"
        )


def materialise(warehouse: Warehouse) -> str:
    """The baseline, then the snapshot; the snapshot's markdown."""
    assets = [
        *(a for a in build_sql_assets() if BASELINE in a.keys),
        *(a for a in build_report_assets() if SNAPSHOT in a.keys),
    ]
    result = materialize(assets, resources={"warehouse": warehouse})
    assert result.success
    (event,) = result.asset_materializations_for_node("reporting__daily_metrics_snapshot")
    return event.metadata["report"].value


def stored_baseline(warehouse: Warehouse) -> list[tuple]:
    with warehouse.get_connection(read_only=True) as connection:
        return connection.execute(
            "select metric, value, status, baseline_date, chosen_by from reporting.baseline "
            "order by metric"
        ).fetchall()


def test_baseline_defaults_to_the_last_day_of_the_first_complete_month(
    warehouse: Warehouse,
) -> None:
    """January has a day (the 20th) where no metric has a value, so the first complete month of
    data is February: the baseline is the scorecard of 28 February (LTV:CAC 58 = days since
    1 January, MTTR 50 missed, uptime 99.95 met, NPS no data)."""
    write_history(warehouse)
    materialise(warehouse)
    rule = "default: last day of the first complete month of data (2025-02)"
    feb_28 = date(2025, 2, 28)
    assert stored_baseline(warehouse) == [
        ("ltv_to_cac", 58.0, "met", feb_28, rule),
        ("mttr_minutes", 50.0, "missed", feb_28, rule),
        ("nps", None, "no data", feb_28, rule),
        ("uptime_pct", 99.95, "met", feb_28, rule),
    ]


def test_a_configured_baseline_date_freezes_that_day(
    warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the setting at 10 January the baseline is that day's scorecard: LTV:CAC 9 (days since
    1 January), MTTR 45 (missed against < 30), whatever the default rule would choose."""
    monkeypatch.setitem(project().metric_settings, "reporting_baseline_date", date(2025, 1, 10))
    write_history(warehouse)
    text = materialise(warehouse)
    jan_10, how = date(2025, 1, 10), "configured: reporting_baseline_date"
    assert stored_baseline(warehouse) == [
        ("ltv_to_cac", 9.0, "met", jan_10, how),
        ("mttr_minutes", 45.0, "missed", jan_10, how),
        ("nps", None, "no data", jan_10, how),
        ("uptime_pct", 99.95, "met", jan_10, how),
    ]
    # the snapshot compares with it: LTV:CAC 68 - 9 = 59, MTTR 20 - 45 = -25
    assert (
        "| LTV:CAC ratio | ratio | 68.00 | 67.00 | 1.00 | 61.00 | 7.00 | 9.00 | 59.00 "
        "| > 3 ratio | met |"
    ) in text
    assert (
        "| MTTR | min | 20.00 | 35.00 | -15.00 | 40.00 | -20.00 | 45.00 | -25.00 | < 30 min | met |"
    ) in text


def test_a_metric_without_a_value_on_the_baseline_day_takes_its_first_value_after_it(
    warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the setting at 20 January, the day no metric has a value: each metric's baseline is
    its first value after it, on the 21st (LTV:CAC 20 = days since 1 January, MTTR 45 missed,
    uptime 99.95 met); NPS, never valued, keeps the baseline day's no data."""
    monkeypatch.setitem(project().metric_settings, "reporting_baseline_date", NULL_DAY)
    write_history(warehouse)
    materialise(warehouse)
    how = "configured: reporting_baseline_date"
    later = f"{how}; no value that day: its first value after it"
    jan_21 = date(2025, 1, 21)
    assert stored_baseline(warehouse) == [
        ("ltv_to_cac", 20.0, "met", jan_21, later),
        ("mttr_minutes", 45.0, "missed", jan_21, later),
        ("nps", None, "no data", NULL_DAY, how),
        ("uptime_pct", 99.95, "met", jan_21, later),
    ]


def test_the_snapshot_compares_the_day_with_the_day_before_last_week_and_the_baseline(
    warehouse: Warehouse,
) -> None:
    """As of 10 March 2025 (the data's last day), baseline 28 February:
    LTV:CAC 68; day before 67 (+1); Monday 3 March 61 (+7); baseline 58 (+10).
    MTTR 20 (met); 35 the day before (-15); 40 on 3 March (-20); 50 at baseline (-30).
    Uptime 99.95 everywhere (0); NPS no data (every change empty).
    Status (4 metrics): 10 March met 3 (uptime, MTTR, LTV:CAC), missed 0, no data 1;
    9 March MTTR 35 missed: 2 / 1 / 1; 3 March MTTR 40: 2 / 1 / 1; 28 February MTTR 50: 2 / 1 / 1.
    Trend: 28 days, 11 February to 10 March; on the 10th 3 met, 0 missed."""
    write_history(warehouse)
    text = materialise(warehouse)
    assert text.startswith("# Daily metrics snapshot, as of 2025-03-10\n")
    assert (
        "| metric | unit | value | day_before | change_vs_day_before | same_weekday_last_week | "
        "change_vs_last_week | baseline | change_vs_baseline | target | status |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|\n"
        "| System uptime | % | 99.95 | 99.95 | 0.00 | 99.95 | 0.00 | 99.95 | 0.00 "
        "| > 99.9 % | met |\n"
        "| MTTR | min | 20.00 | 35.00 | -15.00 | 40.00 | -20.00 | 50.00 | -30.00 "
        "| < 30 min | met |\n"
        "| LTV:CAC ratio | ratio | 68.00 | 67.00 | 1.00 | 61.00 | 7.00 | 58.00 | 10.00 "
        "| > 3 ratio | met |\n"
        "| NPS score | score |  |  |  |  |  |  |  | > 50 score | no data |\n"
    ) in text
    assert (
        "| status | metrics | day_before | same_weekday_last_week | baseline |\n"
        "|---|---|---|---|---|\n"
        "| met | 3 | 2 | 2 | 2 |\n"
        "| missed | 0 | 1 | 1 | 1 |\n"
        "| no data | 1 | 1 | 1 | 1 |\n"
    ) in text
    assert "## Met and missed over the 28 days to the day\n\n![" in text
    assert (
        "| baseline_date | chosen_by | metrics_with_a_value | metrics |\n|---|---|---|---|\n"
        "| 2025-02-28 | default: last day of the first complete month of data (2025-02) | 3 | 4 |"
    ) in text
    with warehouse.get_connection(read_only=True) as connection:
        versions = connection.execute(
            "select as_of from reporting.daily_metrics_snapshot"
        ).fetchall()
    assert versions == [(LAST,)]


def test_without_a_complete_month_there_is_no_baseline_yet(warehouse: Warehouse) -> None:
    """History from 15 January to 10 February: neither month is complete, so the baseline is
    empty and the snapshot's baseline column and section are empty rather than invented."""
    write_history(warehouse, date(2025, 1, 15), date(2025, 2, 10))
    text = materialise(warehouse)
    assert stored_baseline(warehouse) == []
    assert (
        "| LTV:CAC ratio | ratio | 40.00 | 39.00 | 1.00 | 33.00 | 7.00 |  |  | > 3 ratio | met |"
    ) in text
    assert "## Baseline\n\n_no rows_" in text
