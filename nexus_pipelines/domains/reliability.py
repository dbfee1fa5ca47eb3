"""Reliability, delivery and support: the Python assets and the continuous cadence's sensors.

The SQL assets (assets/domains/reliability/, assets/domains/support/) compute the metrics. Here:

- `reliability/incident_feed_events` loads the live incident feed (nexus_pipelines/incident_feed.py)
  into DuckDB (the health status report and the support ticket summary are declared reports:
  assets/domains/reliability/reports.yaml, assets/domains/support/reports.yaml).
- Sensors, all running by default. None opens the warehouse (it may be locked by a writer): they
  read the landing folder and the incident feed, keep cursors, give runs content-derived keys and
  raise alerts through the one alert resource (nexus_pipelines/alerts.py), which pages a dedupe
  key once. Probes for detection and burn rates come from the landing files of `health_checks`,
  the same files the landing-folder sensor loads into raw.health_checks.
"""

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
from pydantic import Field

from nexus_pipelines.alerts import AlertResource, build_alert_resource
from nexus_pipelines.incident_feed import (
    FeedEvent,
    IncidentState,
    feed_dir,
    incident_states,
    list_feed_files,
    read_feed,
    read_feed_file,
    write_feed_file,
)
from nexus_pipelines.ingest import file_digest, list_landing_files, table_for_path
from nexus_pipelines.metadata import table_metadata
from nexus_pipelines.project import Project
from nexus_pipelines.raw_assets import changed_files, file_signature
from nexus_pipelines.settings import load_settings
from nexus_pipelines.warehouse import (
    TableRules,
    Warehouse,
    replace_where,
    table_exists,
    warehouse_asset,
)

FEED_KEY = dg.AssetKey(["reliability", "incident_feed_events"])
FEED_TABLE = "reliability.incident_feed_events"
FEED_OP = FEED_KEY.to_python_identifier()
HEALTH_REPORT_KEY = dg.AssetKey(["reliability", "health_status_report"])
SUPPORT_SUMMARY_KEY = dg.AssetKey(["support", "support_ticket_summary"])
# What a P0/P1 feed event refreshes at once: the incident tables and the health report.
INCIDENT_KEYS = [
    FEED_KEY,
    dg.AssetKey(["reliability", "incidents"]),
    dg.AssetKey(["reliability", "open_incidents"]),
    dg.AssetKey(["reliability", "incident_summary_monthly"]),
    HEALTH_REPORT_KEY,
]
URGENT = ("P0", "P1")
# Sensors act only on probes and tickets this recent: a backlog of history is not news to page on.
PROBE_LOOKBACK = timedelta(hours=6)
TICKET_LOOKBACK = timedelta(days=7)
_FEED_COLUMNS = {
    "event_id": "varchar",
    "incident_id": "varchar not null",
    "event_type": "varchar not null",
    "occurred_at": "timestamptz not null",
    "severity": "varchar",
    "service_id": "varchar",
    "title": "varchar",
    "source_file": "varchar not null",
    "loaded_at": "timestamptz not null",
}


# What each column means, shown with the column schema in the UI.
FEED_DESCRIPTIONS = {
    "event_id": "Event identifier from the feed (the same event loaded twice keeps one row).",
    "incident_id": "The incident the event belongs to.",
    "event_type": "opened, acknowledged, resolved or severity_changed.",
    "occurred_at": "When the event happened (an instant).",
    "severity": "P0 to P3 when the event sets it (opened, severity_changed); else NULL.",
    "service_id": "The affected service, when the event names it.",
    "title": "Short description, when the event gives one.",
    "source_file": "The feed file the event was loaded from.",
    "loaded_at": "When the event was loaded into the warehouse.",
}


def response_target(severity: str, settings: Mapping[str, Any]) -> timedelta:
    """Time to acknowledgement by severity (metrics.md); P3 by the end of the next sprint."""
    if severity == "P3":
        return timedelta(days=2 * int(settings["reliability_sprint_days"]))
    return timedelta(minutes=int(settings[f"reliability_response_minutes_{severity.lower()}"]))


# --------------------------------------------------------------------------- the feed asset


class FeedConfig(dg.Config):
    files: list[str] = Field(
        default_factory=list,
        description="Feed files to load; empty means every file in the incident feed folder "
        "(events already loaded are recognised by their event_id).",
    )


def load_feed_events(
    connection: duckdb.DuckDBPyConnection, events: list[FeedEvent], sources: list[str]
) -> int:
    """Insert or replace events by event_id, in one transaction; returns events written."""
    if not events:
        if not table_exists(connection, "reliability", "incident_feed_events"):
            replace_where(connection, FEED_TABLE, [], columns=_FEED_COLUMNS, where="false")
        return 0
    loaded_at = datetime.now(UTC)
    latest = {  # an event_id seen twice keeps its last appearance
        event.event_id: (*event.record().values(), source, loaded_at)
        for event, source in zip(events, sources, strict=True)
    }
    rows = list(latest.values())
    replace_where(
        connection,
        FEED_TABLE,
        rows,
        where="event_id in (select event_id from new_rows)",
        columns=_FEED_COLUMNS,
        rules=TableRules(key=("event_id",)),
    )
    return len(rows)


def build_feed_asset() -> dg.AssetsDefinition:
    @warehouse_asset(
        key=FEED_KEY,
        description=(
            "Incident events from the live incident feed (JSON-lines files an on-call tool "
            "exports: opened, acknowledged, resolved, severity_changed), one row per event_id. "
            "Loaded by the incident feed sensor as files arrive and by the daily cadence."
        ),
        owner="Infrastructure Maintainer",
        cadence="daily",
    )
    def incident_feed_events(
        context: dg.AssetExecutionContext, config: FeedConfig, warehouse: Warehouse
    ) -> dg.MaterializeResult:
        paths = [Path(name) for name in config.files] or list_feed_files(feed_dir())
        events, sources, skipped = [], [], []
        for path in paths:
            try:
                found = read_feed_file(path)
            except ValueError as error:  # the sensor has already raised a warning for it
                context.log.warning(f"{path.name} skipped: {error}")
                skipped.append(path.name)
                continue
            events += found
            sources += [path.name] * len(found)
        with warehouse.get_connection() as connection:
            written = load_feed_events(connection, events, sources)
            metadata = table_metadata(
                connection,
                FEED_TABLE,
                preview_sql=f"select * from {FEED_TABLE} order by occurred_at desc limit 10",
                descriptions=FEED_DESCRIPTIONS,
            )
        context.log.info(f"{FEED_TABLE}: {written} events from {len(paths)} files")
        return dg.MaterializeResult(
            metadata=metadata | {"events_written": written, "files_skipped": len(skipped)}
        )

    return incident_feed_events


def build_assets(source: Project) -> list[dg.AssetsDefinition]:
    return [build_feed_asset()]


# --------------------------------------------------------------------------- landing readers


def landing_files(table: str) -> list[Path]:
    landing = load_settings().landing_dir
    return [path for path in list_landing_files(landing) if table_for_path(path, landing) == table]


def read_landing_columns(
    path: Path, types: dict[str, pa.DataType], since: tuple[str, datetime] | None = None
) -> list[dict[str, Any]]:
    """Rows of a landing file (CSV or Parquet), only the columns named, as Python values;
    `since` = (column, instant) keeps the rows at or after it (filtered in Arrow: files are big).

    A file that does not fit the contract is left to the ingestion, which rejects it with a
    reason; here it is skipped with a warning, so one bad file cannot stop a sensor."""
    try:
        if path.suffix.lower() == ".parquet":
            table = pq.read_table(path, columns=list(types))
        else:
            options = pa_csv.ConvertOptions(include_columns=list(types), column_types=types)
            table = pa_csv.read_csv(path, convert_options=options)
        table = table.cast(pa.schema(types))
    except (pa.ArrowException, KeyError, OSError) as error:
        dg.get_dagster_logger().warning(f"{path.name} skipped: {error}")
        return []
    if since:
        table = table.filter(pc.field(since[0]) >= pa.scalar(since[1], types[since[0]]))
    return table.to_pylist()


_PROBE_TYPES = {
    "service_id": pa.string(),
    "checked_at": pa.timestamp("us", tz="UTC"),
    "ok": pa.bool_(),
    "planned_maintenance": pa.bool_(),
}


def customer_facing_services() -> dict[str, bool]:
    """From the landing files of `services`; a service missing there counts as customer-facing."""
    facing: dict[str, bool] = {}
    types = {"service_id": pa.string(), "customer_facing": pa.bool_()}
    for path in landing_files("services"):
        for row in read_landing_columns(path, types):
            facing[row["service_id"]] = bool(row["customer_facing"])
    return facing


def _new_probes(
    seen: dict[str, list[int]], since: datetime
) -> tuple[list[dict[str, Any]], dict[str, list[int]]]:
    """Probes from new or changed health_checks files, not older than `since`, in time order."""
    landing = load_settings().landing_dir
    probes: list[dict[str, Any]] = []
    for relative, path in changed_files(landing_files("health_checks"), seen, landing):
        probes += read_landing_columns(path, _PROBE_TYPES, ("checked_at", since))
        seen[relative] = file_signature(path)
    return sorted(probes, key=lambda row: (row["checked_at"], row["service_id"])), seen


def _cursor(context: dg.SensorEvaluationContext) -> dict[str, Any]:
    return json.loads(context.cursor) if context.cursor else {}


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


# --------------------------------------------------------------------------- sensors


def build_feed_sensor() -> dg.SensorDefinition:
    @dg.sensor(
        name="incident_feed_sensor",
        description="Loads new incident feed files (JSON-lines incident events) into "
        "reliability.incident_feed_events; a P0 or P1 opened (or raised to P0/P1) also "
        "refreshes the incident tables and health report at once and pages. Cursor: each "
        "file's size and modification time; run key: the files' content.",
        target=INCIDENT_KEYS,
        minimum_interval_seconds=30,
        default_status=dg.DefaultSensorStatus.RUNNING,
    )
    def incident_feed_sensor(context: dg.SensorEvaluationContext, alerts: AlertResource):
        directory = feed_dir()
        cursor = _cursor(context)
        fresh = changed_files(list_feed_files(directory), cursor, directory)
        urgent: list[FeedEvent] = []
        readable: list[Path] = []
        for relative, path in fresh:
            cursor[relative] = file_signature(path)
            try:
                events = read_feed_file(path)
            except ValueError as error:  # json.JSONDecodeError is a ValueError too
                alerts.raise_alert(
                    f"feed-invalid:{file_digest(path)}",
                    "warning",
                    "incident_feed_sensor",
                    f"Incident feed file {path.name} was not loaded: {error}",
                )
                continue
            readable.append(path)
            urgent += [
                event
                for event in events
                if event.event_type in ("opened", "severity_changed") and event.severity in URGENT
            ]
        context.update_cursor(json.dumps(cursor, sort_keys=True))
        if not readable:
            return dg.SkipReason("No new incident feed files.")
        for event in urgent:
            alerts.raise_alert(
                f"incident:{event.incident_id}:{event.severity}",
                "page",
                "incident_feed_sensor",
                f"{event.severity} incident {event.incident_id} on {event.service_id or '?'}: "
                f"{event.title or event.event_type} (at {_iso(event.occurred_at)})",
            )
        digests = sorted(file_digest(path) for path in readable)
        return dg.RunRequest(
            run_key="incident-feed-" + hashlib.sha256("\n".join(digests).encode()).hexdigest()[:32],
            asset_selection=INCIDENT_KEYS if urgent else [FEED_KEY],
            run_config=dg.RunConfig(
                ops={FEED_OP: FeedConfig(files=[str(path) for path in readable])}
            ),
            tags={"nexus/trigger": "incident_feed", "nexus/urgent": str(bool(urgent)).lower()},
        )

    return incident_feed_sensor


def detect_incidents(
    probes: list[dict[str, Any]],
    state: dict[str, dict[str, Any]],
    open_services: set[str],
    facing: dict[str, bool],
    threshold: int,
) -> list[dict[str, Any]]:
    """Walk probes in time order; returns the feed events to write (opened and resolved).

    `state` (per service: consecutive failures, first failure, last probe, own open incident)
    is updated in place. Probes in planned maintenance neither count nor reset."""
    events: list[dict[str, Any]] = []
    for probe in probes:
        service = probe["service_id"]
        mine = state.setdefault(
            service, {"fails": 0, "first_failed_at": None, "last": None, "incident_id": None}
        )
        checked = _iso(probe["checked_at"])
        if (mine["last"] and checked <= mine["last"]) or probe["planned_maintenance"]:
            continue
        mine["last"] = checked
        if probe["ok"]:
            if mine["incident_id"]:
                events.append(
                    {
                        "incident_id": mine["incident_id"],
                        "event_type": "resolved",
                        "occurred_at": checked,
                        "service_id": service,
                    }
                )
            mine.update(fails=0, first_failed_at=None, incident_id=None)
            continue
        mine["fails"] += 1
        mine["first_failed_at"] = mine["first_failed_at"] or checked
        if mine["fails"] == threshold and not mine["incident_id"] and service not in open_services:
            started = datetime.fromisoformat(mine["first_failed_at"])
            mine["incident_id"] = f"det_{service}_{started:%Y%m%dT%H%M%SZ}"
            events.append(
                {
                    "incident_id": mine["incident_id"],
                    "event_type": "opened",
                    "occurred_at": mine["first_failed_at"],
                    "severity": "P0" if facing.get(service, True) else "P1",
                    "service_id": service,
                    "title": f"{service} down: {threshold} consecutive failed health checks",
                }
            )
    return events


def build_detection_sensor(source: Project) -> dg.SensorDefinition:
    @dg.sensor(
        name="incident_detection_sensor",
        description=source.described(
            "Opens an incident (P0 for a customer-facing service, else P1) when a service fails "
            "{reliability_detection_failed_probes} consecutive health checks "
            "(reliability_detection_failed_probes) and no incident is open on it, and resolves it "
            "on the first good probe, by writing events to the incident feed. Probes come from the "
            "landing files of health_checks (last 6 hours). Cursor: the files seen and each "
            "service's probe streak.",
            "incident_detection_sensor",
        ),
        minimum_interval_seconds=30,
        default_status=dg.DefaultSensorStatus.RUNNING,
    )
    def incident_detection_sensor(context: dg.SensorEvaluationContext):
        cursor = _cursor(context)
        now = datetime.now(UTC)
        probes, files = _new_probes(cursor.get("files", {}), now - PROBE_LOOKBACK)
        state = cursor.get("services", {})
        events: list[dict[str, Any]] = []
        if probes:
            directory = feed_dir()
            mine = {item["incident_id"] for item in state.values() if item["incident_id"]}
            open_services = {
                incident.service_id
                for incident in incident_states(read_feed(directory)).values()
                if incident.resolved_at is None and incident.incident_id not in mine
            }
            threshold = int(source.metric_settings["reliability_detection_failed_probes"])
            events = detect_incidents(
                probes, state, open_services, customer_facing_services(), threshold
            )
            if events:
                digest = hashlib.sha256(json.dumps(events, sort_keys=True).encode()).hexdigest()
                # named by time first, so the feed's files sort in the order they were written
                write_feed_file(directory, f"detection-{now:%Y%m%dT%H%M%S}-{digest[:12]}", events)
        context.update_cursor(json.dumps({"files": files, "services": state}, sort_keys=True))
        return dg.SkipReason(
            f"{len(probes)} new probes; wrote {len(events)} incident events to the feed."
        )

    return incident_detection_sensor


def overdue_incidents(
    states: dict[str, IncidentState], now: datetime, settings: Mapping[str, Any]
) -> list[IncidentState]:
    """Open, unacknowledged incidents past their severity's response target."""
    return [
        incident
        for incident in states.values()
        if incident.resolved_at is None
        and incident.acknowledged_at is None
        and now - incident.detected_at > response_target(incident.severity, settings)
    ]


_TICKET_TYPES = {
    "ticket_id": pa.string(),
    "created_at": pa.timestamp("us", tz="UTC"),
    "first_agent_response_at": pa.timestamp("us", tz="UTC"),
    "resolved_at": pa.timestamp("us", tz="UTC"),
}


def build_response_watch_sensor(source: Project) -> dg.SensorDefinition:
    settings = source.metric_settings

    @dg.sensor(
        name="response_watch_sensor",
        description=source.described(
            "One escalation alert per incident still unacknowledged past its severity's response "
            "target (P0 {reliability_response_minutes_p0} min, P1 "
            "{reliability_response_minutes_p1} min, P2 {reliability_response_minutes_p2} min, P3 "
            "next sprint; incidents from the feed) and per ticket without a first agent response "
            "after {support_first_response_hours} h (tickets from the landing files of "
            "support_tickets created in the last 7 days). Cursor: the ticket files seen and the "
            "tickets still waiting.",
            "response_watch_sensor",
        ),
        minimum_interval_seconds=60,
        default_status=dg.DefaultSensorStatus.RUNNING,
    )
    def response_watch_sensor(context: dg.SensorEvaluationContext, alerts: AlertResource):
        now = datetime.now(UTC)
        cursor = _cursor(context)
        files, waiting = cursor.get("files", {}), cursor.get("waiting", {})
        landing = load_settings().landing_dir
        for relative, path in changed_files(landing_files("support_tickets"), files, landing):
            for row in read_landing_columns(path, _TICKET_TYPES):
                answered = row["first_agent_response_at"] or row["resolved_at"]
                if answered or row["created_at"] < now - TICKET_LOOKBACK:
                    waiting.pop(row["ticket_id"], None)
                else:
                    waiting[row["ticket_id"]] = _iso(row["created_at"])
            files[relative] = file_signature(path)
        raised = 0
        minute = timedelta(minutes=1)
        for incident in overdue_incidents(incident_states(read_feed(feed_dir())), now, settings):
            raised += alerts.raise_alert(
                f"ack-overdue:{incident.incident_id}",
                "escalation",
                "response_watch_sensor",
                f"{incident.severity} incident {incident.incident_id} on "
                f"{incident.service_id or '?'} is unacknowledged "
                f"{(now - incident.detected_at) // minute} min after detection "
                f"(target {response_target(incident.severity, settings) // minute} min)",
            )
        target = timedelta(hours=float(settings["support_first_response_hours"]))
        for ticket_id, created in sorted(waiting.items()):
            if now - datetime.fromisoformat(created) > target:
                raised += alerts.raise_alert(
                    f"ticket-no-response:{ticket_id}",
                    "escalation",
                    "response_watch_sensor",
                    f"Ticket {ticket_id} (created {created}) has no first agent response "
                    f"after {target // timedelta(hours=1)} h",
                )
                del waiting[ticket_id]
        context.update_cursor(json.dumps({"files": files, "waiting": waiting}, sort_keys=True))
        return dg.SkipReason(f"{raised} escalation alerts raised.")

    return response_watch_sensor


def burn_rates(probes: list[list[Any]], anchor: float, slo: float) -> dict[str, float | None]:
    """Burn rate = bad fraction / (1 - SLO) over windows ending at `anchor` (epoch seconds)."""
    windows = {"5m": 300, "30m": 1800, "1h": 3600, "6h": 21600}
    rates: dict[str, float | None] = {}
    for name, seconds in windows.items():
        inside = [bad for at, bad in probes if anchor - seconds < at <= anchor]
        rates[name] = (sum(inside) / len(inside)) / (1 - slo) if inside else None
    return rates


def burn_rate_page(rates: dict[str, float | None], fast: float, slow: float) -> str | None:
    """The multi-window rule of metrics.md: which pair fired, if any."""

    def above(window: str, threshold: float) -> bool:
        value = rates[window]
        return value is not None and value > threshold

    if above("1h", fast) and above("5m", fast):
        return "fast"
    if above("6h", slow) and above("30m", slow):
        return "slow"
    return None


def build_burn_rate_sensor(source: Project) -> dg.SensorDefinition:
    settings = source.metric_settings

    @dg.sensor(
        name="burn_rate_sensor",
        description=source.described(
            "Pages when a customer-facing service burns its error budget too fast: the 1-hour and "
            "5-minute burn rates both above {reliability_burn_rate_fast:g}, or the 6-hour and "
            "30-minute both above {reliability_burn_rate_slow:g} (windows end at the latest "
            "probe; planned maintenance excluded). Probes come from the landing files of "
            "health_checks. One page per burning episode. Cursor: files seen, the last 6 hours "
            "of probes, and the episodes firing.",
            "burn_rate_sensor",
        ),
        minimum_interval_seconds=60,
        default_status=dg.DefaultSensorStatus.RUNNING,
    )
    def burn_rate_sensor(context: dg.SensorEvaluationContext, alerts: AlertResource):
        now = datetime.now(UTC)
        cursor = _cursor(context)
        recent: dict[str, list[list[Any]]] = cursor.get("probes", {})
        firing: dict[str, str] = cursor.get("firing", {})
        probes, files = _new_probes(cursor.get("files", {}), now - PROBE_LOOKBACK)
        for probe in probes:
            if not probe["planned_maintenance"]:
                recent.setdefault(probe["service_id"], []).append(
                    [probe["checked_at"].timestamp(), int(not probe["ok"])]
                )
        horizon = (now - PROBE_LOOKBACK).timestamp()
        recent = {
            service: [item for item in items if item[0] > horizon]
            for service, items in recent.items()
        }
        facing = customer_facing_services()
        paged = 0
        for service, items in sorted(recent.items()):
            if not items or not facing.get(service, True):
                continue
            anchor = max(at for at, _ in items)
            rule = burn_rate_page(
                burn_rates(items, anchor, float(settings["reliability_slo"])),
                float(settings["reliability_burn_rate_fast"]),
                float(settings["reliability_burn_rate_slow"]),
            )
            if rule is None:
                firing.pop(service, None)
                continue
            started = firing.setdefault(service, _iso(datetime.fromtimestamp(anchor, UTC)))
            windows = "1 h and 5 min" if rule == "fast" else "6 h and 30 min"
            paged += alerts.raise_alert(
                f"burn-rate:{service}:{started}",
                "page",
                "burn_rate_sensor",
                f"{service} is burning its error budget: {windows} burn rates both above "
                f"{settings[f'reliability_burn_rate_{rule}']} since {started}",
            )
        context.update_cursor(
            json.dumps({"files": files, "probes": recent, "firing": firing}, sort_keys=True)
        )
        return dg.SkipReason(f"{len(firing)} services burning; {paged} new pages.")

    return burn_rate_sensor


def build_run_failure_sensor() -> dg.SensorDefinition:
    @dg.run_failure_sensor(
        name="run_failure_alert_sensor",
        description="Raises an alert for every failed run of this code location (the pipeline's "
        "own failures), once per run.",
        minimum_interval_seconds=30,
        default_status=dg.DefaultSensorStatus.RUNNING,
    )
    def run_failure_alert_sensor(context: dg.RunFailureSensorContext, alerts: AlertResource):
        run = context.dagster_run
        message = context.failure_event.message or "failed"
        alerts.raise_alert(
            f"run-failure:{run.run_id}",
            "high",
            "run_failure_alert_sensor",
            f"Run {run.run_id} of {run.job_name} failed: {message.splitlines()[0][:300]}",
        )

    return run_failure_alert_sensor


def build_sensors(source: Project) -> list[dg.SensorDefinition]:
    return [
        build_feed_sensor(),
        build_detection_sensor(source),
        build_response_watch_sensor(source),
        build_burn_rate_sensor(source),
        build_run_failure_sensor(),
    ]


def build_resources(source: Project) -> dict[str, dg.ConfigurableResource]:
    return {"alerts": build_alert_resource()}
