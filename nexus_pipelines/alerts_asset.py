"""reporting/alerts: every alert the continuous cadence's sensors raised, where an analyst looks.

The alert record (alerts.py) stays outside DuckDB so that a sensor never waits on the
warehouse's writer lock. This asset copies it into `reporting.alerts`, one row per alert with its
ids, P-level, state and sightings, replaced whole on every run, and shows it on the asset's page:
a table newest first and counts by state and severity, which the UI plots over runs.

`alerts_table_sensor` keeps it current without opening the warehouse: it reads the record and
the instance's last materialisation of this asset, and requests a run as soon as an alert was
raised, resolved or reopened since (the run then waits for the `duckdb` pool like any other),
and at most hourly when only sightings changed (last seen, times seen), so that an overdue
incident seen every minute does not take the writer every minute; an unchanged record is
written again every 12 hours, so the asset's freshness (a day) says the sensor still watches.
`nexus materialize` (and so `make demo`) runs it with the other unpartitioned assets.
"""

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import dagster as dg

from nexus_pipelines.alerts import OPEN, RESOLVED, SEVERITIES, Alert, AlertResource
from nexus_pipelines.metadata import column_schema
from nexus_pipelines.settings import load_settings
from nexus_pipelines.warehouse import TableRules, Warehouse, replace_where, warehouse_asset

ALERTS_KEY = dg.AssetKey(["reporting", "alerts"])
ALERTS_TABLE = "reporting.alerts"
SHOWN_ALERTS = 100  # the table in the UI; reporting.alerts holds every one
SIGHTINGS_REFRESH = timedelta(hours=1)
# an unchanged record is written again this often, so its freshness policy (a day) says whether
# the sensor still watches it
CONFIRM_EVERY = timedelta(hours=12)
FAILED_REFRESH_PAUSE = timedelta(minutes=15)  # a failing refresh is not retried every tick
RECORD_TAG, STATES_TAG = "nexus/alert_record", "nexus/alert_states"
TRIGGER_TAGS = {"nexus/trigger": "alerts_table_sensor"}
_IN_PROGRESS = [
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
]
# name: (DuckDB type, meaning), in the order the table and the UI show them
COLUMNS: dict[str, tuple[str, str]] = {
    "first_seen": ("timestamptz not null", "When a sensor first raised the alert."),
    "severity": (
        "varchar not null",
        "P0-P3. An incident's alerts: the incident's severity. A ticket without a first response: "
        "by its priority (urgent P1, high P2, normal and low P3). A burn rate: P1 for the fast "
        "window pair, P2 for the slow one. A feed file not loaded, a failed run: P2.",
    ),
    "state": (
        "varchar not null",
        "open, or resolved when the sensor saw the condition clear in its source: the incident "
        "resolved (or at another severity), acknowledged (escalations), the ticket answered, the "
        "burn rates back under their thresholds, the feed file replaced, a later run succeeding.",
    ),
    "kind": (
        "varchar not null",
        "incident (a P0/P1 opened or raised), ack-overdue (unacknowledged past its response "
        "target), ticket-no-response, burn-rate, feed-invalid, run-failure.",
    ),
    "incident_id": ("varchar", "The incident, for incident and ack-overdue alerts."),
    "ticket_id": ("varchar", "The support ticket, for ticket-no-response alerts."),
    "service_id": ("varchar", "The service: the incident's, or the one burning its budget."),
    "run_id": ("varchar", "The failed Dagster run, for run-failure alerts."),
    "message": ("varchar not null", "What was paged, as first raised."),
    "raised_by": ("varchar not null", "The sensor that raised it."),
    "last_seen": ("timestamptz not null", "When a sensor last saw the condition."),
    "times_seen": ("integer not null", "Sightings: sensor ticks that saw the condition."),
    "resolved_at": ("timestamptz", "When the condition cleared, by the source's clock."),
    "resolution": ("varchar", "How it cleared."),
    "delivery": ("varchar not null", "Whether it was posted to the webhook."),
    "alert_key": ("varchar not null", "The dedupe key: one alert per condition."),
}


def record_versions(alerts: list[Alert]) -> tuple[str, str]:
    """Digests of the record (32 hex digits: an event tag's value holds at most 63 characters):
    of its alerts' keys and states (a change is news), and of all of it (sightings too)."""
    states = "\n".join(f"{alert.dedupe_key}\t{alert.state}" for alert in alerts)
    everything = "\n".join(repr(alert) for alert in alerts)
    return (
        hashlib.sha256(states.encode()).hexdigest()[:32],
        hashlib.sha256(everything.encode()).hexdigest()[:32],
    )


def _instant(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def alert_row(alert: Alert) -> tuple[Any, ...]:
    """One alert as a row of reporting.alerts, in the order of COLUMNS."""
    values = {
        "first_seen": _instant(alert.first_seen),
        "severity": alert.severity,
        "state": alert.state,
        "kind": alert.kind,
        "incident_id": alert.incident_id,
        "ticket_id": alert.ticket_id,
        "service_id": alert.service_id,
        "run_id": alert.run_id,
        "message": alert.message,
        "raised_by": alert.source,
        "last_seen": _instant(alert.last_seen),
        "times_seen": alert.occurrences,
        "resolved_at": _instant(alert.resolved_at),
        "resolution": alert.resolution,
        "delivery": alert.delivery,
        "alert_key": alert.dedupe_key,
    }
    return tuple(values[name] for name in COLUMNS)


def _shown(value: Any) -> str | int | None:
    """A cell of the UI's table: instants in the reporting timezone, to the second."""
    if isinstance(value, datetime):
        return value.astimezone(load_settings().tz).strftime("%Y-%m-%d %H:%M:%S %Z")
    return value


def build_alerts_asset() -> dg.AssetsDefinition:
    @warehouse_asset(
        key=ALERTS_KEY,
        description=(
            "Every alert the continuous cadence's sensors raised (incident feed, response watch, "
            "burn rate, run failures), one row per alert: its kind, severity (P0-P3), the ids "
            "of what it is about (incident, ticket, service, run), the sensor that raised it, "
            "first and last seen, times seen, and state (open, or resolved when the sensor saw "
            "the condition clear in its source). Copied from the alert record, which stays "
            "outside DuckDB so that sensors never wait on the warehouse; alerts_table_sensor "
            "requests a run within a minute of an alert being raised or resolved. The table "
            "below shows the newest first, times in the reporting timezone."
        ),
        owner=["Infrastructure Maintainer", "Support Responder"],
        cadence="continuous",
    )
    def alerts_table(
        context: dg.AssetExecutionContext, warehouse: Warehouse, alerts: AlertResource
    ) -> dg.MaterializeResult:
        record = alerts.alerts()
        states, everything = record_versions(record)
        names = list(COLUMNS)
        with warehouse.get_connection() as connection:
            written = replace_where(
                connection,
                ALERTS_TABLE,
                [alert_row(alert) for alert in record],
                columns={name: kind for name, (kind, _) in COLUMNS.items()},
                rules=TableRules(key=("alert_key",), non_negative=("times_seen",)),
            )
            schema = column_schema(
                connection, ALERTS_TABLE, {name: meaning for name, (_, meaning) in COLUMNS.items()}
            )
            newest = connection.execute(
                f"select {', '.join(names)} from {ALERTS_TABLE} "
                "order by first_seen desc, alert_key limit $limit",
                {"limit": SHOWN_ALERTS},
            ).fetchall()
            counts = connection.execute(
                f"select state, severity, count(*) from {ALERTS_TABLE} group by all"
            ).fetchall()
        by = {(state, severity): int(count) for state, severity, count in counts}
        numbers = {
            f"alerts_{state}": sum(n for (s, _), n in by.items() if s == state)
            for state in (OPEN, RESOLVED)
        }
        for severity in SEVERITIES:
            numbers[f"alerts_{severity.lower()}"] = sum(
                n for (_, v), n in by.items() if v == severity
            )
            numbers[f"open_{severity.lower()}"] = by.get((OPEN, severity), 0)
        open_by_severity = ", ".join(f"{s} {by.get((OPEN, s), 0)}" for s in SEVERITIES)
        context.log.info(
            f"{ALERTS_TABLE}: {written} alerts, {numbers['alerts_open']} open ({open_by_severity})"
        )
        table = dg.MetadataValue.table(
            records=[
                dg.TableRecord(
                    {name: _shown(value) for name, value in zip(names, row, strict=True)}
                )
                for row in newest
            ],
            schema=schema,
        )
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": written,
                "dagster/table_name": ALERTS_TABLE,
                "dagster/column_schema": schema,
                "alerts": table,
                **numbers,
            },
            tags={RECORD_TAG: everything, STATES_TAG: states},
        )

    return alerts_table


def build_alerts_table_sensor() -> dg.SensorDefinition:
    @dg.sensor(
        name="alerts_table_sensor",
        description="Refreshes reporting/alerts from the alert record: a run as soon as an "
        "alert was raised, resolved or reopened since the table was last written, and at most "
        "hourly when only sightings changed, and every 12 h when nothing did (its freshness); "
        "none while a refresh is on its way, nor for 15 "
        "minutes after one failed. Reads the record and the instance, never the warehouse. "
        "Run key: the record's digest.",
        target=[ALERTS_KEY],
        minimum_interval_seconds=30,
        default_status=dg.DefaultSensorStatus.RUNNING,
    )
    def alerts_table_sensor(context: dg.SensorEvaluationContext, alerts: AlertResource):
        record = alerts.alerts()
        states, everything = record_versions(record)
        held = f"{len(record)} alerts, {sum(a.state == OPEN for a in record)} open"
        instance = context.instance
        now = datetime.now(UTC)
        latest = instance.get_latest_materialization_event(ALERTS_KEY)
        shown = latest.asset_materialization if latest else None
        if latest and shown:
            tags, written = shown.tags or {}, datetime.fromtimestamp(latest.timestamp, UTC)
            if tags.get(RECORD_TAG) == everything and now - written < CONFIRM_EVERY:
                return dg.SkipReason(f"reporting.alerts is current: {held}.")
            if tags.get(STATES_TAG) == states and now - written < SIGHTINGS_REFRESH:
                return dg.SkipReason(
                    f"reporting.alerts has every alert and state ({held}); only sightings "
                    f"changed, refreshed after {written + SIGHTINGS_REFRESH:%H:%M} UTC."
                )
        if instance.get_run_records(
            dg.RunsFilter(tags=TRIGGER_TAGS, statuses=_IN_PROGRESS), limit=1
        ):
            return dg.SkipReason("A refresh of reporting.alerts is queued or running.")
        last = instance.get_run_records(dg.RunsFilter(tags=TRIGGER_TAGS), limit=1)
        if last and last[0].dagster_run.status == dg.DagsterRunStatus.FAILURE:
            ended = datetime.fromtimestamp(last[0].end_time or 0, UTC)
            if now - ended < FAILED_REFRESH_PAUSE:
                return dg.SkipReason(
                    f"The last refresh of reporting.alerts failed at {ended:%H:%M} UTC; the "
                    f"next try after {ended + FAILED_REFRESH_PAUSE:%H:%M} UTC ({held})."
                )
        context.log.info(f"reporting.alerts is behind the alert record ({held}): refreshing it")
        return dg.RunRequest(
            # the same record confirmed again after CONFIRM_EVERY needs a key of its own
            run_key=f"alerts-{everything}-{now:%Y%m%dT%H}",
            asset_selection=[ALERTS_KEY],
            tags=TRIGGER_TAGS,
        )

    return alerts_table_sensor
