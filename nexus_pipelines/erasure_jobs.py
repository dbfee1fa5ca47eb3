"""Erasure and retention purge as Dagster jobs, so every execution is a run in the instance.

`erasure` is launched by an operator (the UI's launchpad, or `nexus erase --request ID`) with
the request id in its run config: never automatically, and only for a
`raw.data_subject_requests` row of type erasure. `retention_purge` runs on the monthly cadence
(nexus_pipelines/cadences.py) and from `nexus purge`. Both are two steps:

1. the removal (in the warehouse's pool, holding the ingest lock): the rows go, the audit rows
   are written with this Dagster run's id, and each raw table changed gets a materialisation
   saying what was removed, so the raw asset's page shows the change;
2. the rebuild of every derived table over the days the raw data covered before the removal,
   as the runs `nexus materialize` makes (tagged with this run's id). Not narrower: a removed
   row can move a user's first activity, a cohort or a running total in any later partition.
   The step holds no pool slot, since the runs it starts need the warehouse's only one.

A removal of nothing (a second purge the same month) still writes its audit rows, with 0 rows,
as the evidence that the purge ran; it records no materialisation and rebuilds nothing.
"""

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import dagster as dg
import duckdb
from dagster._core.definitions.data_version import DATA_VERSION_TAG
from pydantic import Field

from nexus_pipelines.contract import load_contract
from nexus_pipelines.erasure import (
    ErasureError,
    ErasurePlan,
    erasure_salt,
    execute,
    plan_erasure,
    plan_purge,
)
from nexus_pipelines.ingest import ingest_lock
from nexus_pipelines.raw_assets import loaded_files_version, raw_key, raw_table_metadata
from nexus_pipelines.run_health import POOL
from nexus_pipelines.runner import _default_range, materialize_everything
from nexus_pipelines.settings import load_settings
from nexus_pipelines.warehouse import Warehouse

ERASURE_JOB = "erasure"
PURGE_JOB = "retention_purge"
ERASE_OP = "erase_subject"
PURGE_OP = "purge_retention"
REQUESTED_BY_TAG = "nexus/requested_by_run"


class ErasureConfig(dg.Config):
    request_id: str = Field(
        description="The request_id of a raw.data_subject_requests row of type erasure."
    )


class RetentionPurgeConfig(dg.Config):
    on: str = Field(
        default="",
        description="The purge day (YYYY-MM-DD): records older than it minus their category's "
        "retention period are removed. Empty means today (UTC); the schedule gives its tick's day.",
    )


def _removed_metadata(plans: list[ErasurePlan], table: str) -> dict[str, Any]:
    effects = [(p, e) for p in plans for e in p.effects if e.table == table]
    return {
        "rows_removed": sum(e.rows_removed for _, e in effects),
        "values_emptied": sum(e.values_emptied for _, e in effects),
        "removed_by": dg.MetadataValue.md(
            "\n".join(
                f"- {p.reason} `{p.request_id}`: {e.rows_removed} rows removed, "
                f"{e.values_emptied} values emptied (ingest.erasure_log)"
                for p, e in effects
                if e.rows_removed or e.values_emptied
            )
        ),
    }


def _remove(
    context: dg.OpExecutionContext,
    warehouse: Warehouse,
    plans_of: Callable[[duckdb.DuckDBPyConnection], list[ErasurePlan]],
) -> list[str] | None:
    """Carry out the plans under this run's id; the days to rebuild, or None when nothing went.
    A refusal (no salt, a request that is not an erasure's) fails the step with its reason as
    the failure's description, which the run's page shows first."""
    try:
        erasure_salt()  # refused before anything is touched
        # what the removed rows covered, read before they go: the rebuild rewrites those days
        first_day, last_day = _default_range()
    except ErasureError as error:
        raise dg.Failure(description=str(error), allow_retries=False) from error
    tables = load_contract()
    with ingest_lock(load_settings()), warehouse.get_connection() as connection:
        try:
            plans = plans_of(connection)
        except ErasureError as error:
            raise dg.Failure(description=str(error), allow_retries=False) from error
        for plan in plans:
            execute(connection, plan, context.run_id)
        changed = sorted(
            {e.table for p in plans for e in p.effects if e.rows_removed or e.values_emptied}
        )
        for name in changed:
            context.log_event(
                dg.AssetMaterialization(
                    asset_key=raw_key(name),
                    description=f"Rows removed by the {context.job_name} run {context.run_id}",
                    metadata=raw_table_metadata(connection, tables[name], [])
                    | _removed_metadata(plans, name),
                    # the files loaded are unchanged: the landing sensor must not reload them
                    tags={DATA_VERSION_TAG: loaded_files_version(connection, name).value},
                )
            )
    # the rebuild runs this job starts next open the warehouse in this same process
    warehouse.release()
    for plan in plans:
        context.log.info(
            f"{plan.request_id} ({plan.rows_removed} rows removed):\n" + "\n".join(plan.lines())
        )
    if not changed:
        return None
    return [first_day.isoformat(), last_day.isoformat()]


@dg.op(name=ERASE_OP, pool=POOL, out=dg.Out(list[str] | None))
def erase_subject(
    context: dg.OpExecutionContext, config: ErasureConfig, warehouse: Warehouse
) -> list[str] | None:
    """Delete the request's user from every raw table, log it and add them to the suppression
    list (nexus_pipelines/erasure.py); refused for a request not of type erasure, one already
    executed, or without NEXUS_ERASURE_SALT."""
    return _remove(context, warehouse, lambda c: [plan_erasure(c, config.request_id)])


@dg.op(name=PURGE_OP, pool=POOL, out=dg.Out(list[str] | None))
def purge_retention(
    context: dg.OpExecutionContext, config: RetentionPurgeConfig, warehouse: Warehouse
) -> list[str] | None:
    """Delete the records past their category's retention period (raw.retention_policies) on
    the purge day, and log it per category and table."""
    on = date.fromisoformat(config.on) if config.on else datetime.now(UTC).date()
    return _remove(context, warehouse, lambda c: plan_purge(c, on))


@dg.op
def rebuild_derived(context: dg.OpExecutionContext, days: list[str] | None) -> None:
    """Rebuild every derived table over the days the removed rows' data covered, in the runs
    `nexus materialize` makes, each tagged with this run's id; fails when one does not finish."""
    if days is None:
        context.log.info("Nothing was removed: nothing to rebuild.")
        return
    summary = materialize_everything(
        date.fromisoformat(days[0]),
        date.fromisoformat(days[1]),
        ingest=False,
        instance=context.instance,
        trigger={"nexus/trigger": context.job_name, REQUESTED_BY_TAG: context.run_id},
    )
    if not summary.ok:
        raise dg.Failure(
            description=f"The rebuild did not finish: {summary.line()}",
            metadata={"runs": ", ".join(summary.run_ids)},
        )
    context.log.info(f"Rebuilt {days[0]} .. {days[1]}: {summary.line()}")


@dg.job(
    name=ERASURE_JOB,
    description="Carries out one erasure request (GDPR Art. 17), named by its request_id in "
    "the run config: deletes the user's rows from every raw table, logs it in "
    "ingest.erasure_log under this run's id, suppresses the user at ingestion and rebuilds "
    "the derived tables. Dry run: `nexus erase --request ID --dry-run`.",
    tags={"nexus/compliance": "erasure"},
)
def erasure() -> None:
    rebuild_derived(erase_subject())


@dg.job(
    name=PURGE_JOB,
    description="Deletes the records past their category's retention period "
    "(raw.retention_policies), logs it in ingest.erasure_log under this run's id and rebuilds "
    "the derived tables; scheduled on the monthly cadence. Dry run: `nexus purge --dry-run`.",
    tags={"nexus/compliance": "retention"},
)
def retention_purge() -> None:
    rebuild_derived(purge_retention())
