"""Reliability, delivery and support: the Python assets and the continuous cadence's sensors.

The SQL assets (assets/domains/reliability/, assets/domains/support/) compute the metrics. Here:

- `reliability/incident_feed_events` loads the live incident feed (nexus_pipelines/incident_feed.py)
  into DuckDB (the health status report and the support ticket summary are declared reports:
  assets/domains/reliability/reports.yaml, assets/domains/support/reports.yaml).
- Sensors, all running by default. None opens the warehouse (it may be locked by a writer): they
  read the landing folder and the incident feed, keep cursors, give runs content-derived keys and
  raise alerts through the one alert resource (nexus_pipelines/alerts.py), which pages a dedupe
  key once; each resolves its alerts when it sees their condition clear in its source, and says
  in its tick's log and result which it raised and resolved. `reporting/alerts` and its sensor
  (nexus_pipelines/alerts_asset.py) show them in the UI. Probes for detection and burn rates
  come from the landing files of `health_checks`, the same files the landing-folder sensor
  loads into raw.health_checks.
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

from nexus_pipelines.alerts import OPEN, AlertResource, TickAlerts, build_alert_resource
from nexus_pipelines.alerts_asset import build_alerts_asset, build_alerts_table_sensor
from nexus_pipelines.incident_feed import (
    FeedEvent,
    IncidentState,
    feed_dir,
    incident_states,
    list_feed_files,
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
SUPPORT_SUMMARY_KEY = dg.AssetKey(["support", "support_ticket_summary"])
# What a P0/P1 feed event refreshes at once: the incident tables and the health report.
INCIDENT_KEYS = [
    FEED_KEY,
    dg.AssetKey(["reliability", "incidents"]),
    dg.AssetKey(["reliability", "open_incidents"]),
    dg.AssetKey(["reliability", "incident_summary_monthly"]),
]
URGENT = ("P0", "P1")
# The P-level of alerts not about an incident (an incident's alerts take its own severity): a
# ticket waiting past the first-response target by its priority; a burn rate by its window pair
# (a fast burn spends the month's budget in about two days); a feed file not loaded, or a
# failed run of the pipeline, P2: data is missing or stale, the previous rows stay.
TICKET_SEVERITY = {"urgent": "P1", "high": "P2", "normal": "P3", "low": "P3"}
BURN_SEVERITY = {"fast": "P1", "slow": "P2"}
FEED_INVALID_SEVERITY = "P2"
RUN_FAILURE_SEVERITY = "P2"
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
    return [build_feed_asset(), build_alerts_asset()]


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


def readable_feed(directory: Path) -> list[FeedEvent]:
    """Every event of the feed's files that parse: the feed sensor raises an alert for a file
    that does not, and one bad file must not stop the sensors that read the feed's state."""
    events: list[FeedEvent] = []
    for path in list_feed_files(directory):
        try:
            events += read_feed_file(path)
        except ValueError:
            continue
    return events


def settle_incident_pages(
    tick: TickAlerts, events: list[FeedEvent], states: dict[str, IncidentState]
) -> None:
    """Resolve the open page of an incident the feed now says is resolved (at its resolution)
    or at another severity (at that change: the new severity has its own page if urgent)."""
    changed_at = {
        event.incident_id: event.occurred_at
        for event in sorted(events, key=lambda item: item.occurred_at)
        if event.severity
    }
    for alert in tick.alerts.alerts(kind="incident", state=OPEN):
        state = states.get(alert.incident_id or "")
        if state is None:
            continue
        if state.resolved_at is not None:
            tick.resolve(
                alert, f"incident resolved at {_iso(state.resolved_at)}", state.resolved_at
            )
        elif state.severity != alert.severity:
            moment = changed_at[state.incident_id]
            tick.resolve(alert, f"severity changed to {state.severity} at {_iso(moment)}", moment)


def build_feed_sensor() -> dg.SensorDefinition:
    @dg.sensor(
        name="incident_feed_sensor",
        description="Loads new incident feed files (JSON-lines incident events) into "
        "reliability.incident_feed_events; a P0 or P1 opened (or raised to P0/P1) also "
        "refreshes the incident tables and health report at once and pages (an alert with the "
        "incident's severity, resolved when the feed says the incident is resolved or at "
        "another severity). A file that does not parse raises a P2 alert, resolved when the "
        "file is replaced or removed. Cursor: each file's size and modification time; run "
        "key: the files' content.",
        target=INCIDENT_KEYS,
        minimum_interval_seconds=30,
        default_status=dg.DefaultSensorStatus.RUNNING,
    )
    def incident_feed_sensor(context: dg.SensorEvaluationContext, alerts: AlertResource):
        directory = feed_dir()
        cursor = _cursor(context)
        listed = list_feed_files(directory)
        fresh = changed_files(listed, cursor, directory)
        removed = cursor.keys() - {str(path.relative_to(directory)) for path in listed}
        tick = TickAlerts(alerts, context.log, "incident_feed_sensor")
        urgent: list[FeedEvent] = []
        readable: list[Path] = []
        for relative, path in fresh:
            cursor[relative] = file_signature(path)
            try:
                events = read_feed_file(path)
            except ValueError as error:  # json.JSONDecodeError is a ValueError too
                tick.raise_alert(
                    f"feed-invalid:{file_digest(path)}",
                    FEED_INVALID_SEVERITY,
                    f"Incident feed file {path.name} was not loaded: {error}",
                    about=f"feed file {path.name}",
                )
                continue
            readable.append(path)
            urgent += [
                event
                for event in events
                if event.event_type in ("opened", "severity_changed") and event.severity in URGENT
            ]
        for relative in removed:
            del cursor[relative]
        context.update_cursor(json.dumps(cursor, sort_keys=True))
        if fresh or removed:  # only then can the feed's state have changed
            feed = readable_feed(directory)
            states = incident_states(feed)
            for event in urgent:
                service = event.service_id or states[event.incident_id].service_id
                tick.raise_alert(
                    f"incident:{event.incident_id}:{event.severity}",
                    str(event.severity),
                    f"{event.severity} incident {event.incident_id} on {service or '?'}: "
                    f"{event.title or event.event_type} (at {_iso(event.occurred_at)})",
                    incident_id=event.incident_id,
                    service_id=service,
                    observed_at=event.occurred_at,
                )
            settle_incident_pages(tick, feed, states)
            present = {file_digest(path) for path in listed}
            for alert in alerts.alerts(kind="feed-invalid", state=OPEN):
                if alert.dedupe_key.split(":", 1)[1] not in present:
                    tick.resolve(alert, "the file was replaced or removed")
        if not readable:
            return dg.SkipReason(tick.summary("incident feed", "No new incident feed files"))
        digests = sorted(file_digest(path) for path in readable)
        tags = {"nexus/trigger": "incident_feed", "nexus/urgent": str(bool(urgent)).lower()}
        if tick.raised or tick.resolved:
            tags["nexus/alerts"] = tick.summary("incident feed")
        return dg.RunRequest(
            run_key="incident-feed-" + hashlib.sha256("\n".join(digests).encode()).hexdigest()[:32],
            asset_selection=INCIDENT_KEYS if urgent else [FEED_KEY],
            run_config=dg.RunConfig(
                ops={FEED_OP: FeedConfig(files=[str(path) for path in readable])}
            ),
            tags=tags,
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
                for incident in incident_states(readable_feed(directory)).values()
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
    "priority": pa.string(),
    "first_agent_response_at": pa.timestamp("us", tz="UTC"),
    "resolved_at": pa.timestamp("us", tz="UTC"),
}


def settle_overdue_incidents(tick: TickAlerts, states: dict[str, IncidentState]) -> None:
    """Resolve the escalation of an incident since acknowledged or resolved, at that moment."""
    for alert in tick.alerts.alerts(kind="ack-overdue", state=OPEN):
        state = states.get(alert.incident_id or "")
        if state is not None and state.acknowledged_at is not None:
            moment = state.acknowledged_at
            tick.resolve(alert, f"incident acknowledged at {_iso(moment)}", moment)
        elif state is not None and state.resolved_at is not None:
            moment = state.resolved_at
            tick.resolve(alert, f"incident resolved at {_iso(moment)}", moment)


def build_response_watch_sensor(source: Project) -> dg.SensorDefinition:
    settings = source.metric_settings

    @dg.sensor(
        name="response_watch_sensor",
        description=source.described(
            "One escalation alert per incident still unacknowledged past its severity's response "
            "target (P0 {reliability_response_minutes_p0} min, P1 "
            "{reliability_response_minutes_p1} min, P2 {reliability_response_minutes_p2} min, P3 "
            "next sprint; incidents from the feed), at the incident's severity and resolved when "
            "it is acknowledged or resolved; and per ticket without a first agent response "
            "after {support_first_response_hours} h (tickets from the landing files of "
            "support_tickets created in the last 7 days), at P1 for an urgent ticket, P2 high, "
            "P3 normal or low, resolved when a landing file shows it answered. Cursor: the "
            "ticket files seen and the tickets still waiting.",
            "response_watch_sensor",
        ),
        minimum_interval_seconds=60,
        default_status=dg.DefaultSensorStatus.RUNNING,
    )
    def response_watch_sensor(context: dg.SensorEvaluationContext, alerts: AlertResource):
        now = datetime.now(UTC)
        cursor = _cursor(context)
        files, waiting = cursor.get("files", {}), cursor.get("waiting", {})
        tick = TickAlerts(alerts, context.log, "response_watch_sensor")
        answered: dict[str, tuple[str, datetime]] = {}
        landing = load_settings().landing_dir
        for relative, path in changed_files(landing_files("support_tickets"), files, landing):
            for row in read_landing_columns(path, _TICKET_TYPES):
                if row["first_agent_response_at"]:
                    answered[row["ticket_id"]] = (
                        "first agent response",
                        row["first_agent_response_at"],
                    )
                elif row["resolved_at"]:
                    answered[row["ticket_id"]] = ("ticket resolved", row["resolved_at"])
                if row["ticket_id"] in answered or row["created_at"] < now - TICKET_LOOKBACK:
                    waiting.pop(row["ticket_id"], None)
                else:
                    waiting[row["ticket_id"]] = [_iso(row["created_at"]), row["priority"]]
            files[relative] = file_signature(path)
        if answered:
            for alert in alerts.alerts(kind="ticket-no-response", state=OPEN):
                if alert.ticket_id in answered:
                    what, moment = answered[alert.ticket_id]
                    tick.resolve(alert, f"{what} at {_iso(moment)}", moment)
        states = incident_states(readable_feed(feed_dir()))
        settle_overdue_incidents(tick, states)
        minute = timedelta(minutes=1)
        for incident in overdue_incidents(states, now, settings):
            tick.raise_alert(
                f"ack-overdue:{incident.incident_id}",
                incident.severity,
                f"{incident.severity} incident {incident.incident_id} on "
                f"{incident.service_id or '?'} is unacknowledged "
                f"{(now - incident.detected_at) // minute} min after detection "
                f"(target {response_target(incident.severity, settings) // minute} min)",
                incident_id=incident.incident_id,
                service_id=incident.service_id,
            )
        target = timedelta(hours=float(settings["support_first_response_hours"]))
        for ticket_id, waits in sorted(waiting.items()):
            # a cursor from before priorities were kept holds the creation time alone
            created, priority = (waits, None) if isinstance(waits, str) else waits
            if now - datetime.fromisoformat(created) > target:
                tick.raise_alert(
                    f"ticket-no-response:{ticket_id}",
                    TICKET_SEVERITY.get(priority or "", "P3"),
                    f"Ticket {ticket_id} ({priority or 'unknown'} priority, created {created}) "
                    f"has no first agent response after {target // timedelta(hours=1)} h",
                    ticket_id=ticket_id,
                )
                del waiting[ticket_id]
        context.update_cursor(json.dumps({"files": files, "waiting": waiting}, sort_keys=True))
        return dg.SkipReason(tick.summary("escalation"))

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
        tick = TickAlerts(alerts, context.log, "burn_rate_sensor")
        burning = alerts.alerts(kind="burn-rate", state=OPEN)
        for service, items in sorted(recent.items()):
            if not items or not facing.get(service, True):
                continue
            anchor = max(at for at, _ in items)
            rule = burn_rate_page(
                burn_rates(items, anchor, float(settings["reliability_slo"])),
                float(settings["reliability_burn_rate_fast"]),
                float(settings["reliability_burn_rate_slow"]),
            )
            ended = datetime.fromtimestamp(anchor, UTC)
            if rule is None:
                firing.pop(service, None)
                episode, cleared = None, f"burn rates under both thresholds at {_iso(ended)}"
            else:
                started = firing.setdefault(service, _iso(ended))
                episode = f"burn-rate:{service}:{started}"
                cleared = f"superseded by the episode since {started}"
                windows = "1 h and 5 min" if rule == "fast" else "6 h and 30 min"
                tick.raise_alert(
                    episode,
                    BURN_SEVERITY[rule],
                    f"{service} is burning its error budget: {windows} burn rates both above "
                    f"{settings[f'reliability_burn_rate_{rule}']} since {started}",
                    service_id=service,
                )
            for alert in burning:
                if alert.service_id == service and alert.dedupe_key != episode:
                    tick.resolve(alert, cleared, ended)
        context.update_cursor(
            json.dumps({"files": files, "probes": recent, "firing": firing}, sort_keys=True)
        )
        return dg.SkipReason(tick.summary("burn-rate", f"{len(firing)} services burning"))

    return burn_rate_sensor


def build_run_failure_sensor() -> dg.SensorDefinition:
    @dg.run_failure_sensor(
        name="run_failure_alert_sensor",
        description="Raises a P2 alert for every failed run of this code location (the "
        "pipeline's own failures), once per run; run_recovery_alert_sensor resolves it.",
        minimum_interval_seconds=30,
        default_status=dg.DefaultSensorStatus.RUNNING,
    )
    def run_failure_alert_sensor(context: dg.RunFailureSensorContext, alerts: AlertResource):
        run = context.dagster_run
        message = context.failure_event.message or "failed"
        # Returns nothing: a run status sensor that returns a result handles one run per tick.
        TickAlerts(alerts, context.log, "run_failure_alert_sensor").raise_alert(
            f"run-failure:{run.run_id}",
            RUN_FAILURE_SEVERITY,
            f"Run {run.run_id} of {run.job_name} failed: {message.splitlines()[0][:300]}",
            run_id=run.run_id,
        )

    return run_failure_alert_sensor


def recovers(failed: dg.DagsterRun, succeeded: dg.DagsterRun) -> bool:
    """A success answers a failure when it re-executes the failed run or runs the same job
    on the same assets."""
    if succeeded.root_run_id in (failed.run_id, failed.root_run_id or failed.run_id):
        return True
    return (succeeded.job_name, succeeded.asset_selection) == (
        failed.job_name,
        failed.asset_selection,
    )


def build_run_recovery_sensor() -> dg.SensorDefinition:
    @dg.run_status_sensor(
        run_status=dg.DagsterRunStatus.SUCCESS,
        name="run_recovery_alert_sensor",
        description="Resolves a failed run's alert when a later run of the same job on the same "
        "assets, or a re-execution of the failed run, succeeds.",
        minimum_interval_seconds=30,
        default_status=dg.DefaultSensorStatus.RUNNING,
    )
    def run_recovery_alert_sensor(context: dg.RunStatusSensorContext, alerts: AlertResource):
        succeeded = context.dagster_run
        tick = TickAlerts(alerts, context.log, "run_recovery_alert_sensor")
        failures = alerts.alerts(kind="run-failure", state=OPEN)
        ids = [succeeded.run_id, *(alert.run_id for alert in failures if alert.run_id)]
        records = {
            record.dagster_run.run_id: record
            for record in context.instance.get_run_records(dg.RunsFilter(run_ids=ids))
        }
        mine = records[succeeded.run_id]
        ended = datetime.fromtimestamp(mine.end_time, UTC) if mine.end_time else None
        for alert in failures:
            failed = records.get(alert.run_id or "")
            if (
                failed is not None
                and failed.create_timestamp < mine.create_timestamp
                and recovers(failed.dagster_run, succeeded)
            ):
                tick.resolve(
                    alert, f"run {succeeded.run_id} of {succeeded.job_name} succeeded", ended
                )

    return run_recovery_alert_sensor


def build_sensors(source: Project) -> list[dg.SensorDefinition]:
    return [
        build_feed_sensor(),
        build_detection_sensor(source),
        build_response_watch_sensor(source),
        build_burn_rate_sensor(source),
        build_run_failure_sensor(),
        build_run_recovery_sensor(),
        build_alerts_table_sensor(),
    ]


def build_resources(source: Project) -> dict[str, dg.ConfigurableResource]:
    return {"alerts": build_alert_resource()}
