"""The playbook's cadences as schedules (each cadence's review is a declared report,
assets/domains/reporting/reports.yaml).

A schedule materialises the assets tagged with its cadence. Partitioned assets get the partition
holding the day before the tick: for the daily cadence the running month, whose days so far it
rewrites (on the 1st, the month just ended); for the monthly cadence the month just ended. The
bi-weekly cadence runs on the weekly cron but only in every other week counted from the anchor
Monday, because cron has no "every other week".
"""

from collections.abc import Sequence
from datetime import date

import dagster as dg

from nexus_pipelines.partitions import last_complete_day, partition_holding
from nexus_pipelines.playbook import Cadence, cadences
from nexus_pipelines.settings import load_settings

SCHEDULED = tuple(item for item in cadences() if item.cron)


def is_fortnight_week(day: date, anchor: date) -> bool:
    """True in the anchor's week and every second week after (or before) it."""
    return ((day - anchor).days // 7) % 2 == 0


def _partitions_of(
    assets: Sequence[dg.AssetsDefinition],
) -> dg.TimeWindowPartitionsDefinition | None:
    found = {id(a.partitions_def): a.partitions_def for a in assets if a.partitions_def}
    if len(found) > 1:
        raise ValueError(
            "A cadence's assets must share one partitioning (or none): one Dagster job holds one "
            "partitioning. Give the asset the cadence of its grain (assets/domains/README.md)."
        )
    return next(iter(found.values()), None)


def build_schedule(
    cadence: Cadence, assets: Sequence[dg.AssetsDefinition]
) -> dg.ScheduleDefinition:
    """A schedule for the assets tagged with this cadence, at its cron in the reporting timezone."""
    selected = [
        a for a in assets if cadence.id in {t.get("cadence") for t in a.tags_by_key.values()}
    ]
    partitions = _partitions_of(selected)
    settings = load_settings()
    job = dg.define_asset_job(
        f"{cadence.id}_cadence_job",
        selection=dg.AssetSelection.tag("cadence", cadence.id),
        description=f"Materialises the assets of the {cadence.name.lower()} cadence.",
        tags={"nexus/cadence": cadence.id},
    )

    @dg.schedule(
        name=f"{cadence.id}_cadence_schedule",
        cron_schedule=cadence.cron,
        execution_timezone=settings.reporting_timezone,
        target=job,
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description=(
            f"{cadence.name}"
            + (
                f", every other week: runs in weeks 0, 2, 4, ... counted from "
                f"{settings.fortnight_anchor} and skips the weeks between"
                if cadence.every_other_week
                else ""
            )
            + ": "
            + "; ".join(f"{a.role} -> {a.output}" for a in cadence.activities)
        ),
    )
    def cadence_schedule(context: dg.ScheduleEvaluationContext):
        tick = context.scheduled_execution_time.astimezone(settings.tz)
        anchor = settings.fortnight_anchor
        if cadence.every_other_week and not is_fortnight_week(tick.date(), anchor):
            return dg.SkipReason(f"{tick.date()} is in the off week of the bi-weekly cadence.")
        partition_key = None
        if partitions:
            partition_key = partition_holding(partitions, last_complete_day(tick))
        return dg.RunRequest(
            run_key=f"{cadence.id}-{tick.isoformat()}",
            partition_key=partition_key,
            tags={"nexus/cadence": cadence.id},
        )

    return cadence_schedule


# The retention purge runs on the monthly cadence's day, four hours before its job (0 8 1 * *),
# so that the month's compliance facts and reports read a warehouse already purged.
RETENTION_PURGE_CRON = "0 4 1 * *"


def build_retention_purge_schedule(job: dg.JobDefinition, op_name: str) -> dg.ScheduleDefinition:
    """The monthly retention purge, purging as of its tick's day in the reporting timezone."""
    settings = load_settings()

    @dg.schedule(
        name=f"{job.name}_schedule",
        cron_schedule=RETENTION_PURGE_CRON,
        execution_timezone=settings.reporting_timezone,
        target=job,
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description="Monthly, before the monthly cadence: deletes the records past their "
        "category's retention period, logs it in ingest.erasure_log and rebuilds what they fed.",
    )
    def retention_purge_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        tick = context.scheduled_execution_time.astimezone(settings.tz)
        return dg.RunRequest(
            run_key=f"{job.name}-{tick.isoformat()}",
            run_config={"ops": {op_name: {"config": {"on": tick.date().isoformat()}}}},
            tags={"nexus/cadence": "monthly"},
        )

    return retention_purge_schedule
