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

from nexus_pipelines.cadences import SCHEDULED
from nexus_pipelines.definitions import defs

REPOSITORY = defs.get_repository_def()
SCHEDULES = {c.id: REPOSITORY.get_schedule_def(f"{c.id}_cadence_schedule") for c in SCHEDULED}


def schedule_for(cadence_id: str) -> dg.ScheduleDefinition:
    return SCHEDULES[cadence_id]


def evaluate(schedule: dg.ScheduleDefinition, when: datetime):
    context = dg.build_schedule_context(scheduled_execution_time=when, repository_def=REPOSITORY)
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


@pytest.mark.parametrize(
    ("tick", "partition_key"),
    [
        (datetime(2026, 11, 25, 6, 0, tzinfo=UTC), "2026-11-01"),  # yesterday 11-24
        (datetime(2026, 12, 1, 6, 0, tzinfo=UTC), "2026-11-01"),  # yesterday 11-30
        (datetime(2026, 12, 2, 6, 0, tzinfo=UTC), "2026-12-01"),  # yesterday 12-01
        (datetime(2027, 1, 1, 6, 0, tzinfo=UTC), "2026-12-01"),  # yesterday 12-31, across the year
    ],
)
def test_daily_schedule_asks_for_yesterdays_partition(tick: datetime, partition_key: str) -> None:
    """The daily tables are partitioned by month (reporting timezone UTC): the daily schedule asks
    for the month holding yesterday, so on the 1st it finishes the month just ended and on the
    2nd it starts the new one."""
    requests = evaluate(schedule_for("daily"), tick)
    assert [request.partition_key for request in requests] == [partition_key]


@pytest.mark.parametrize(
    ("cadence_id", "tick", "partition_key"),
    [
        # the month just ended
        ("monthly", datetime(2026, 12, 1, 8, 0, tzinfo=UTC), "2026-11-01"),
        # Monday 30 November: the ISO week just ended, Monday 23 to Sunday 29
        ("weekly", datetime(2026, 11, 30, 7, 0, tzinfo=UTC), "2026-11-23"),
        ("biweekly", datetime(2026, 11, 30, 7, 0, tzinfo=UTC), "2026-11-23"),
        # 1 January: the quarter just ended, October to December
        ("quarterly", datetime(2027, 1, 1, 9, 0, tzinfo=UTC), "2026-10-01"),
    ],
)
def test_each_cadence_asks_for_the_period_just_ended(
    cadence_id: str, tick: datetime, partition_key: str
) -> None:
    """Its reports are partitioned by its period: the tick renders the period that ended."""
    requests = evaluate(schedule_for(cadence_id), tick)
    assert [request.partition_key for request in requests] == [partition_key]


# The playbook's outputs (its cadence table, assets/playbook/cadences.yaml, and the Monthly Growth
# Review of its Growth Operations), the report asset each one is and its owner, by hand.
OUTPUTS = {
    "daily": {
        "Daily metrics snapshot": ("reporting/daily_metrics_snapshot", "Analytics Reporter"),
        "Support ticket summary": ("support/support_ticket_summary", "Support Responder"),
        "Health status report": ("reliability/health_status_report", "Infrastructure Maintainer"),
    },
    "weekly": {
        "Weekly Analytics Report": ("growth/weekly_analytics_report", "Analytics Reporter"),
        "Weekly Feedback Summary": ("voice/weekly_feedback_summary", "Feedback Synthesizer"),
        "Sprint Plan": ("delivery/sprint_plan", "Sprint Prioritizer"),
        "Growth Metrics Report": ("growth/growth_metrics_report", "Growth Hacker"),
        "Weekly Status Update": ("delivery/weekly_status_update", "Project Shepherd"),
    },
    "biweekly": {
        "Bi-Weekly Insights Report": ("voice/biweekly_insights_report", "Feedback Synthesizer"),
        "Experiment Results Summary": (
            "experiments/experiment_results_summary",
            "Experiment Tracker",
        ),
        "Published Content Report": ("content/published_content_report", "Content Creator"),
    },
    "monthly": {
        "Monthly Growth Review": ("growth/monthly_growth_review", "Growth Hacker"),
        "Monthly Executive Summary": (
            "reporting/monthly_executive_summary",
            "Executive Summary Generator",
        ),
        "Monthly Financial Report": ("revenue/monthly_financial_report", "Finance Tracker"),
        "Compliance Status Report": (
            "compliance/compliance_status_report",
            "Legal Compliance Checker",
        ),
        "Monthly Market Brief": ("market/monthly_market_brief", "Trend Researcher"),
        "Brand Health Report": ("market/brand_health_report", "Brand Guardian"),
    },
    "quarterly": {
        "Quarterly Strategic Review": ("reporting/quarterly_strategic_review", "Studio Producer"),
        "Optimization Report": ("delivery/optimization_report", "Workflow Optimizer"),
        "Quarterly Performance Report": (
            "reliability/quarterly_performance_report",
            "Performance Benchmarker",
        ),
        "Tech Debt Assessment": ("delivery/tech_debt_assessment", "Tool Evaluator"),
    },
}


@pytest.mark.parametrize("cadence", SCHEDULED, ids=lambda cadence: cadence.id)
def test_each_cadence_materialises_its_outputs_after_what_they_read(cadence) -> None:
    """The schedule's job holds a report for every output the playbook names for the cadence, each
    owned by the output's role, partitioned like the job and reading the baseline; within the
    run, each report comes after every table it reads that the same run refreshes (its parents in
    the job's graph)."""
    assert {a.output for a in cadence.activities} <= set(OUTPUTS[cadence.id])
    schedule = schedule_for(cadence.id)
    job = defs.resolve_job_def(schedule.job_name)
    selected = job.asset_layer.executable_asset_keys
    graph = job.asset_layer.asset_graph
    for output, (key_text, role) in OUTPUTS[cadence.id].items():
        key = dg.AssetKey.from_user_string(key_text)
        assert key in selected, f"{cadence.id}: {output} ({key_text}) is not in {job.name}"
        node = graph.get(key)
        assert node.owners == [f"team:{role}"], output
        assert node.partitions_def == job.partitions_def, output
        read = set(defs.resolve_assets_def(key).asset_deps[key])
        refreshed_here = read & selected
        assert refreshed_here <= node.parent_keys, output
        # the playbook's "baseline metrics documented": every output compares against it
        assert dg.AssetKey(["reporting", "baseline"]) in read, output


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
    tagged: dict[str, set[str]] = {}
    for assets in defs.assets:
        for spec in assets.specs:
            if "cadence" in spec.tags:
                tagged.setdefault(spec.tags["cadence"], set()).add(spec.key.to_user_string())
    for cadence in SCHEDULED:
        job = defs.resolve_job_def(f"{cadence.id}_cadence_job")
        selected = {key.to_user_string() for key in job.asset_layer.executable_asset_keys}
        assert selected == tagged[cadence.id], cadence.id
        assert f"reporting/{cadence.id}_review" in selected
    daily = tagged["daily"]
    assert {"growth/daily_active_users", "reporting/scorecard"} <= daily
    assert "growth/cohort_retention_weekly" not in daily
