"""The playbook's cadences as schedules, and each cadence's review as an asset.

A schedule materialises the assets tagged with its cadence. Partitioned assets get the last
complete partition at tick time; the bi-weekly cadence runs on the weekly cron but only in every
other week counted from the anchor Monday, because cron has no "every other week".
"""

from collections.abc import Sequence
from datetime import date

import dagster as dg
import duckdb
import pandas as pd

from nexus_pipelines.metadata import markdown_table
from nexus_pipelines.playbook import Cadence, cadences, success_metrics
from nexus_pipelines.scorecard import SCORECARD_KEY, SCORECARD_TABLE
from nexus_pipelines.settings import load_settings
from nexus_pipelines.warehouse import (
    TableRules,
    Warehouse,
    replace_where,
    table_exists,
    warehouse_asset,
)

REVIEWS_TABLE = "reporting.cadence_reviews"
SCHEDULED = tuple(item for item in cadences() if item.cron)


def review_key(cadence: Cadence) -> dg.AssetKey:
    return dg.AssetKey(["reporting", f"{cadence.id}_review"])


def is_fortnight_week(day: date, anchor: date) -> bool:
    """True in the anchor's week and every second week after (or before) it."""
    return ((day - anchor).days // 7) % 2 == 0


def _latest_scorecard(connection: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    if not table_exists(connection, "reporting", "scorecard"):
        return pd.DataFrame()
    return connection.execute(
        f"select * from {SCORECARD_TABLE} "
        f"where as_of = (select max(as_of) from {SCORECARD_TABLE}) order by metric"
    ).df()


def render_review(cadence: Cadence, scorecard: pd.DataFrame) -> str:
    """The cadence's agenda: who does what, and where their success metrics stand."""
    roles = set(cadence.roles)
    owned = [metric.id for metric in success_metrics() if metric.owner in roles]
    activities = pd.DataFrame(
        [(a.role, a.activity, a.output) for a in cadence.activities],
        columns=["role", "activity", "output"],
    )
    lines = [f"### {cadence.name} review", "", markdown_table(activities), ""]
    if scorecard.empty:
        lines.append("_The scorecard has not been materialised yet._")
    else:
        mine = scorecard[scorecard["metric"].isin(owned)]
        lines += [
            f"#### Success metrics of these roles, as of {scorecard['as_of'].iloc[0]:%Y-%m-%d}",
            "",
            markdown_table(mine[["name", "value", "comparator", "target", "status", "owner"]])
            if not mine.empty
            else "_No success metric is owned by these roles._",
        ]
    return "\n".join(lines) + "\n"


def build_review_asset(cadence: Cadence) -> dg.AssetsDefinition:
    @warehouse_asset(
        key=review_key(cadence),
        description=(
            f"The {cadence.name.lower()} cadence's review: the playbook's activities, owners and "
            "outputs for this cadence, with the latest scorecard status of the success metrics "
            "those roles own. Refreshed by the cadence's schedule."
        ),
        owner=cadence.roles,
        cadence=cadence.id,
        deps=[SCORECARD_KEY],
    )
    def review(warehouse: Warehouse) -> dg.MaterializeResult:
        with warehouse.get_connection() as connection:
            scorecard = _latest_scorecard(connection)
            text = render_review(cadence, scorecard)
            as_of = scorecard["as_of"].iloc[0] if not scorecard.empty else None
            # one review per cadence and scorecard date: a re-run replaces it
            replace_where(
                connection,
                REVIEWS_TABLE,
                [(cadence.id, as_of, text)],
                where="cadence = $cadence and as_of is not distinct from $as_of",
                params={"cadence": cadence.id, "as_of": as_of},
                columns={"cadence": "varchar", "as_of": "date", "review_markdown": "varchar"},
                rules=TableRules(key=("cadence",)),
            )
        statuses = scorecard["status"].tolist() if not scorecard.empty else []
        return dg.MaterializeResult(
            metadata={
                "review": dg.MetadataValue.md(text),
                "activities": len(cadence.activities),
                "metrics_met": statuses.count("met"),
                "metrics_missed": statuses.count("missed"),
                "metrics_no_data": statuses.count("no data"),
            }
        )

    return review


def build_review_assets() -> list[dg.AssetsDefinition]:
    return [build_review_asset(cadence) for cadence in SCHEDULED]


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
        if partitions:  # the last complete partition at tick time
            window = partitions.get_prev_partition_window(tick)
            partition_key = window.start.strftime(partitions.fmt) if window else None
        return dg.RunRequest(
            run_key=f"{cadence.id}-{tick.isoformat()}",
            partition_key=partition_key,
            tags={"nexus/cadence": cadence.id},
        )

    return cadence_schedule
