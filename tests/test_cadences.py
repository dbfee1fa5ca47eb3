"""Each cadence's schedule: its cron, timezone, target and the partition it asks for.

The bi-weekly cadence runs on Mondays in weeks 0, 2, 4, ... counted from the anchor Monday
2024-01-01. By hand: 2026-11-30 is 1064 days = 152 weeks after the anchor (run), so 2026-11-23
(151) is off, 2026-12-07 (153) off, 2026-12-14 (154) on, 2026-12-28 (156, ISO week 53) on,
2027-01-04 (157, ISO week 1) off and 2027-01-11 (158) on. ISO-week parity would wrongly treat
week 53 and week 1 alike.
"""

from datetime import UTC, date, datetime

import dagster as dg
import pytest

from nexus_pipelines.cadences import SCHEDULED, build_review_assets, build_schedule
from nexus_pipelines.playbook import cadence
from nexus_pipelines.scorecard import build_scorecard_asset
from nexus_pipelines.sql_assets import build_sql_assets
from nexus_pipelines.warehouse import Warehouse

ASSETS = [*build_sql_assets(), build_scorecard_asset(), *build_review_assets()]


SCHEDULES = {c.id: build_schedule(cadence(c.id), ASSETS) for c in SCHEDULED}
DEFS = dg.Definitions(
    assets=ASSETS,
    schedules=list(SCHEDULES.values()),
    resources={"warehouse": Warehouse(database=":memory:")},
)


def schedule_for(cadence_id: str) -> dg.ScheduleDefinition:
    return SCHEDULES[cadence_id]


def evaluate(schedule: dg.ScheduleDefinition, when: datetime):
    context = dg.build_schedule_context(
        scheduled_execution_time=when, repository_def=DEFS.get_repository_def()
    )
    return list(schedule.evaluate_tick(context).run_requests or [])


@pytest.mark.parametrize(
    ("cadence_id", "cron"),
    [
        ("daily", "0 6 * * *"),
        ("weekly", "0 7 * * 1"),
        ("biweekly", "0 7 * * 1"),
        ("monthly", "0 8 1 * *"),
        ("quarterly", "0 9 1 1,4,7,10 *"),
    ],
)
def test_schedule_cron_timezone_and_default_status(cadence_id: str, cron: str) -> None:
    schedule = schedule_for(cadence_id)
    assert schedule.cron_schedule == cron
    assert schedule.execution_timezone == "UTC"
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING


def test_every_scheduled_cadence_has_a_schedule_and_continuous_has_none() -> None:
    assert [c.id for c in SCHEDULED] == ["daily", "weekly", "biweekly", "monthly", "quarterly"]


def test_daily_schedule_asks_for_yesterdays_partition() -> None:
    requests = evaluate(schedule_for("daily"), datetime(2026, 11, 25, 6, 0, tzinfo=UTC))
    assert [request.partition_key for request in requests] == ["2026-11-24"]
    requests = evaluate(schedule_for("daily"), datetime(2027, 1, 1, 6, 0, tzinfo=UTC))
    assert [request.partition_key for request in requests] == ["2026-12-31"]


def test_unpartitioned_cadences_run_without_a_partition() -> None:
    requests = evaluate(schedule_for("monthly"), datetime(2026, 12, 1, 8, 0, tzinfo=UTC))
    assert len(requests) == 1 and requests[0].partition_key is None


@pytest.mark.parametrize(
    ("monday", "runs"),
    [
        (date(2026, 11, 23), False),
        (date(2026, 11, 30), True),
        (date(2026, 12, 7), False),
        (date(2026, 12, 14), True),
        (date(2026, 12, 21), False),
        (date(2026, 12, 28), True),
        (date(2027, 1, 4), False),
        (date(2027, 1, 11), True),
    ],
)
def test_biweekly_runs_every_other_week_across_month_and_year(monday: date, runs: bool) -> None:
    when = datetime(monday.year, monday.month, monday.day, 7, 0, tzinfo=UTC)
    assert bool(evaluate(schedule_for("biweekly"), when)) is runs
    assert bool(evaluate(schedule_for("weekly"), when))  # the weekly one runs every week


def test_schedules_select_exactly_the_assets_tagged_with_their_cadence() -> None:
    daily = DEFS.resolve_job_def("daily_cadence_job")
    assert {key.to_user_string() for key in daily.asset_layer.executable_asset_keys} == {
        "growth/daily_active_users",
        "growth/signups_by_channel_daily",
        "reporting/scorecard",
        "reporting/daily_review",
    }
    quarterly = DEFS.resolve_job_def("quarterly_cadence_job")
    assert {k.to_user_string() for k in quarterly.asset_layer.executable_asset_keys} == {
        "reporting/quarterly_review"
    }
