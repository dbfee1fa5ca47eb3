"""The scorecard as a history: one row per metric and day, a month a partition, read back from a
real Dagster instance after a run over two months, as the UI reads it.

Inputs (the tables the scorecard's queries read), by hand:
- reliability.incidents resolved 2025-01-10 (60 min), 2025-01-20 (20 min), 2025-02-05 (70 min).
  MTTR = mean minutes over incidents resolved in the trailing 90 days (target < 30): no data up
  to 01-09; 60 from 01-10; (60 + 20) / 2 = 40 from 01-20; (60 + 20 + 70) / 3 = 50 from 02-05;
  all missed.
- reliability.uptime_daily (`overall`): 2025-02-01 999 of 1,000 probes ok, 2025-02-10 1,000 of
  1,000. Uptime = ok / probes over the trailing 30 days (target > 99.9): no data in January;
  99.9 (missed: not above 99.9) from 02-01; 1,999 / 2,000 = 99.95 (met) from 02-10.
- growth.user_activity_days: user 1 on 01-03 and 02-02, user 2 on 01-05, 01-20 and 02-25, user 3
  on 02-04. MoM growth = (MAU month to date - MAU of the same days of the month before) / the
  latter (target > 20): January has no December users (no data). 02-01: 0 against 0 (no data);
  02-02: 1 against 0 (no data); 02-03: 1 against {1} = 0 % (missed); 02-04: 2 against 1 = 100 %
  (met); 02-05 .. 02-24: 2 against {1, 2} = 0 %; 02-25 and 02-28 (the whole of January): 3
  against 2 = 50 % (met). On 02-21, 7 days before 02-28: 0 %, so the change is +50 points.
- Nothing else: the other ten metrics have no data (their tables do not exist).

On 2025-02-28, the latest day: met uptime and MoM growth (2), missed MTTR (1), no data 10. The
daily review's roles (Analytics Reporter, Support Responder, Infrastructure Maintainer) own
uptime (met), MTTR (missed), activation, day-7 and day-30 retention and support resolution (no
data): 1, 1, 4. The monthly review's roles own LTV:CAC and regulatory adherence: 0, 0, 2.
"""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import dagster as dg
import pytest
from dagster._core.loader import LoadingContextForTest
from dagster._core.storage.asset_check_execution_record import (
    AssetCheckExecutionRecordStatus,
    AssetCheckExecutionResolvedStatus,
)

from nexus_pipelines.partitions import DAYS_BY_MONTH, MONTHLY
from nexus_pipelines.reports import build_report_assets
from nexus_pipelines.scorecard import SCORECARD_KEY, compute_days, compute_scorecard
from nexus_pipelines.warehouse import Warehouse

JANUARY, FEBRUARY = "2025-01-01", "2025-02-01"
REVIEWS = {"daily_review", "monthly_review"}


def load_inputs(warehouse: Warehouse) -> None:
    with warehouse.get_connection() as connection:
        connection.execute(
            "create table reliability.incidents as from (values "
            "(date '2025-01-10', 60.0), (date '2025-01-20', 20.0), (date '2025-02-05', 70.0)"
            ") as t (resolved_date, minutes_to_resolve)"
        )
        connection.execute(
            "create table reliability.uptime_daily as from (values "
            "(date '2025-02-01', 'overall', 999, 1000), "
            "(date '2025-02-10', 'overall', 1000, 1000), "
            "(date '2025-02-10', 'api', 1, 1000)"  # not the overall row: not read
            ") as t (uptime_date, service_id, ok_probes, probes)"
        )
        connection.execute(
            "create table growth.user_activity_days as from (values "
            "(1, date '2025-01-03'), (2, date '2025-01-05'), (2, date '2025-01-20'), "
            "(1, date '2025-02-02'), (3, date '2025-02-04'), (2, date '2025-02-25')"
            ") as t (user_id, activity_date)"
        )


def report_assets() -> list[dg.AssetsDefinition]:
    return [
        asset
        for asset in build_report_assets()
        if asset.key == SCORECARD_KEY or asset.key.path[-1] in REVIEWS
    ]


def run_months(
    instance: dg.DagsterInstance, warehouse: Warehouse, first: str = JANUARY
) -> dg.ExecuteInProcessResult:
    """The daily cadence's reports over the months [first, February] (one partition a month),
    then the monthly review of February (a job holds one partitioning: two runs)."""
    daily = [a for a in report_assets() if a.partitions_def == DAYS_BY_MONTH]
    result = dg.materialize(
        daily,
        instance=instance,
        resources={"warehouse": warehouse},
        tags={
            "dagster/asset_partition_range_start": first,
            "dagster/asset_partition_range_end": FEBRUARY,
        },
    )
    assert result.success
    monthly = [a for a in report_assets() if a.partitions_def == MONTHLY]
    assert dg.materialize(
        monthly, instance=instance, resources={"warehouse": warehouse}, partition_key=FEBRUARY
    ).success
    return result


def month_metadata(instance: dg.DagsterInstance, partition: str) -> dict:
    [record] = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=SCORECARD_KEY, asset_partitions=[partition]), limit=1
    ).records
    return {key: value.value for key, value in record.asset_materialization.metadata.items()}


def check_outcome(instance: dg.DagsterInstance, metric: str) -> tuple:
    """What the instance records of a target check, and its status as the UI resolves it."""
    key = dg.AssetCheckKey(SCORECARD_KEY, f"target_{metric}")
    record = instance.event_log_storage.get_latest_asset_check_execution_by_key([key])[key]
    resolved = asyncio.run(record.resolve_status(LoadingContextForTest(instance)))
    evaluation = record.event.dagster_event.event_specific_data if record.event else None
    severity = getattr(evaluation, "severity", None)
    return record.status, resolved, severity


@pytest.fixture
def scored(warehouse: Warehouse) -> tuple[dg.DagsterInstance, Warehouse]:
    load_inputs(warehouse)
    instance = dg.DagsterInstance.ephemeral()
    run_months(instance, warehouse)
    return instance, warehouse


def test_every_day_of_the_months_has_a_row_per_metric(scored) -> None:
    instance, warehouse = scored
    with warehouse.get_connection(read_only=True) as connection:
        per_day = connection.execute(
            "select as_of, count(*) from reporting.scorecard group by as_of order by as_of"
        ).fetchall()
    # January and February, and the 3 days before January (the scorecard's look-back)
    first = date(2024, 12, 29)
    assert per_day == [(first + timedelta(days=n), 13) for n in range(3 + 31 + 28)]
    assert instance.get_materialized_partitions(SCORECARD_KEY) == {JANUARY, FEBRUARY}


@pytest.mark.parametrize(
    ("day", "metric", "value", "status"),
    [
        ("2025-01-09", "mttr_minutes", None, "no data"),
        ("2025-01-10", "mttr_minutes", 60.0, "missed"),
        ("2025-01-20", "mttr_minutes", 40.0, "missed"),
        ("2025-02-04", "mttr_minutes", 40.0, "missed"),
        ("2025-02-05", "mttr_minutes", 50.0, "missed"),
        ("2025-01-31", "uptime_pct", None, "no data"),
        ("2025-02-01", "uptime_pct", 99.9, "missed"),
        ("2025-02-10", "uptime_pct", 99.95, "met"),
        ("2025-03-02", "uptime_pct", None, None),  # not scored: after the months run
        ("2025-01-31", "mom_user_growth_pct", None, "no data"),
        ("2025-02-02", "mom_user_growth_pct", None, "no data"),
        ("2025-02-03", "mom_user_growth_pct", 0.0, "missed"),
        ("2025-02-04", "mom_user_growth_pct", 100.0, "met"),
        ("2025-02-24", "mom_user_growth_pct", 0.0, "missed"),
        ("2025-02-25", "mom_user_growth_pct", 50.0, "met"),
        ("2025-02-28", "mom_user_growth_pct", 50.0, "met"),
        ("2025-02-28", "nps", None, "no data"),
    ],
)
def test_each_day_holds_the_value_worked_by_hand(scored, day, metric, value, status) -> None:
    _, warehouse = scored
    with warehouse.get_connection(read_only=True) as connection:
        found = connection.execute(
            "select value, status from reporting.scorecard where as_of = $day and metric = $m",
            {"day": date.fromisoformat(day), "m": metric},
        ).fetchall()
    if status is None:
        assert found == []
        return
    [(stored, stored_status)] = found
    assert stored_status == status
    assert stored == pytest.approx(value) if value is not None else stored is None


def test_a_range_scores_each_day_as_that_day_alone_would(warehouse: Warehouse) -> None:
    """One query over the range, and one per day, agree on every metric and day."""
    load_inputs(warehouse)
    with warehouse.get_connection(read_only=True) as connection:
        ranged = compute_days(connection, date(2025, 1, 1), date(2025, 2, 28))
        daily = [
            row
            for n in range(59)
            for row in compute_scorecard(connection, date(2025, 1, 1) + timedelta(days=n))
        ]
    assert ranged == daily


def test_each_month_carries_its_own_last_day_and_the_newest_the_front_page(scored) -> None:
    instance, _ = scored
    january, february = month_metadata(instance, JANUARY), month_metadata(instance, FEBRUARY)
    assert (january["as_of"], february["as_of"]) == ("2025-01-31", "2025-02-28")
    assert (january["dagster/row_count"], february["dagster/row_count"]) == (31 * 13, 28 * 13)
    assert (january["mttr_minutes"], february["mttr_minutes"]) == (40.0, 50.0)
    assert (january["uptime_pct"], february["uptime_pct"]) == (None, pytest.approx(99.95))
    assert (january["mom_user_growth_pct"], february["mom_user_growth_pct"]) == (None, 50.0)
    assert "scorecard" not in january  # the front page is the newest partition's only
    # the front page is the first thing the asset page lists, and it is a table shown inline
    assert next(iter(february)) == "scorecard"
    table = february["scorecard"]
    assert [column.name for column in table.schema.columns] == [
        "metric",
        "value",
        "target",
        "status",
        "owner",
        "change vs 7 days before",
    ]
    rows = {record.data["metric"]: record.data for record in table.records}
    assert rows["MTTR"] == {
        "metric": "MTTR",
        "value": "50.00 min",
        "target": "< 30 min",
        "status": "missed",
        "owner": "Infrastructure Maintainer",
        "change vs 7 days before": "+0.00 min",
    }
    assert rows["MoM user growth"]["value"] == "50.00 %"
    assert rows["MoM user growth"]["change vs 7 days before"] == "+50.00 pts"
    assert rows["System uptime"]["target"] == "> 99.9 %"
    assert rows["NPS score"]["status"] == "no data"
    assert rows["NPS score"]["value"].startswith("- (source not materialised")
    assert rows["Regulatory adherence"]["value"].startswith("- (source not materialised")
    assert rows["LTV:CAC ratio"]["target"] == "> 3x"
    assert (february["latest_day"], february["metrics_met"]) == ("2025-02-28", 2)
    assert (february["metrics_missed"], february["metrics_no_data"]) == (1, 10)


def test_missed_is_a_failed_warning_and_no_data_is_not_evaluated(scored) -> None:
    instance, _ = scored
    passed = AssetCheckExecutionRecordStatus.SUCCEEDED, AssetCheckExecutionResolvedStatus.SUCCEEDED
    assert check_outcome(instance, "uptime_pct")[:2] == passed
    assert check_outcome(instance, "mttr_minutes") == (
        AssetCheckExecutionRecordStatus.FAILED,
        AssetCheckExecutionResolvedStatus.FAILED,
        dg.AssetCheckSeverity.WARN,
    )
    for metric in ("regulatory_adherence_pct", "nps"):  # their tables never written
        status, resolved, _ = check_outcome(instance, metric)
        assert status == AssetCheckExecutionRecordStatus.PLANNED
        assert resolved == AssetCheckExecutionResolvedStatus.SKIPPED


def test_each_review_counts_only_its_own_metrics(scored) -> None:
    instance, warehouse = scored
    counts = {}
    for review in REVIEWS:
        key = dg.AssetKey(["reporting", review])
        event = instance.get_latest_materialization_event(key)
        metadata = event.asset_materialization.metadata
        counts[review] = tuple(
            metadata[f"metrics_{status}"].value for status in ("met", "missed", "no_data")
        )
    assert counts == {"daily_review": (1, 1, 4), "monthly_review": (0, 0, 2)}
    with warehouse.get_connection(read_only=True) as connection:
        [(text,)] = connection.execute(
            "select report_markdown from reporting.cadence_reviews "
            "where cadence = 'daily' and as_of = date '2025-02-28'"
        ).fetchall()
    assert "## Met, of these roles' metrics\n\n**1** metrics\n" in text
    assert "## No data, of these roles' metrics\n\n**4** metrics\n" in text


def test_a_rerun_of_a_month_replaces_its_days(scored) -> None:
    instance, warehouse = scored
    with warehouse.get_connection(read_only=True) as connection:
        before = connection.execute("select * from reporting.scorecard order by all").fetchall()
    run_months(instance, warehouse, first=FEBRUARY)
    with warehouse.get_connection(read_only=True) as connection:
        after = connection.execute("select * from reporting.scorecard order by all").fetchall()
    assert after == before


def test_the_checks_run_alone_read_the_stored_latest_day(scored) -> None:
    """The UI can run the target checks without materialising: they judge the stored day."""
    instance, warehouse = scored
    [scorecard] = [asset for asset in report_assets() if asset.key == SCORECARD_KEY]
    result = dg.materialize(
        [scorecard],
        instance=instance,
        resources={"warehouse": warehouse},
        selection=dg.AssetSelection.checks_for_assets(SCORECARD_KEY),
    )
    assert result.success
    assert result.get_asset_materialization_events() == []
    evaluations = {c.check_name: c.passed for c in result.get_asset_check_evaluations()}
    assert evaluations == {
        "target_uptime_pct": True,
        "target_mom_user_growth_pct": True,
        "target_mttr_minutes": False,
    }
