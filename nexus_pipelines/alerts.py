"""The one alert resource of the continuous cadence: record every alert, page once per condition.

Alerts are not kept in DuckDB: sensors raise them, and a sensor must never wait on the
warehouse's writer lock. On one machine (`make ui`) the record is a small SQLite file,
NEXUS_ALERTS_PATH, by default `nexus_alerts.sqlite` in DAGSTER_HOME (or beside the warehouse when
there is none). In the production shape (docs/deploy.md) it is the table `alerts` in the
instance's own Postgres database (NEXUS_PG_*), which every daemon, webserver and run of the
deployment sees. Both go through SQLAlchemy, so one piece of code serves both.

An alert is identified by its dedupe key, `<kind>:<ids>`: the first time a key is seen it is
recorded and, when a webhook URL is configured (NEXUS_ALERT_WEBHOOK_URL, read through Dagster's
EnvVar), posted there as Slack-compatible JSON; later sightings only update last_seen, the count
and the structured fields, so the same condition never pages twice, even when two processes see
it at once (the key is the primary key: the second insert fails and counts as a sighting). Each
alert carries what an analyst filters by: its kind, a P-level (P0-P3), the ids of what it is
about (incident, ticket, service, run) and a state. The sensor that raised it resolves it when it
sees the condition clear in its source (an incident acknowledged or resolved, a ticket answered,
a burn rate back under its thresholds, a later successful run); an alert resolved and then
observed again is reopened and paged again. The reporting/alerts asset (alerts_asset.py) copies
the record into DuckDB for the UI. The URL and the database password are secrets: they are
never logged or stored.
"""

from __future__ import annotations

import json
import logging
import os
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import dagster as dg
import sqlalchemy as sa
from pydantic import Field
from sqlalchemy.schema import CreateColumn

from nexus_pipelines.settings import load_settings

WEBHOOK_ENV = "NEXUS_ALERT_WEBHOOK_URL"
WEBHOOK_TIMEOUT_SECONDS = 5
SUMMARY_ITEMS = 20  # alerts a tick's result names; its log names every one
# The instance's Postgres (deploy/dagster.yaml reads the same variables).
POSTGRES_ENV = {
    "host": "NEXUS_PG_HOST",
    "port": "NEXUS_PG_PORT",
    "username": "NEXUS_PG_USER",
    "password": "NEXUS_PG_PASSWORD",
    "database": "NEXUS_PG_DB",
}
SEVERITIES = ("P0", "P1", "P2", "P3")
OPEN, RESOLVED = "open", "resolved"
_METADATA = sa.MetaData()
ALERTS = sa.Table(
    "alerts",
    _METADATA,
    sa.Column("dedupe_key", sa.Text, primary_key=True),
    sa.Column("severity", sa.Text, nullable=False),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("first_seen", sa.Text, nullable=False),
    sa.Column("last_seen", sa.Text, nullable=False),
    sa.Column("occurrences", sa.Integer, nullable=False),
    sa.Column("delivery", sa.Text, nullable=False),
    # Columns a record made by an older version lacks: added to it on first use (_upgrade).
    sa.Column("kind", sa.Text),
    sa.Column("incident_id", sa.Text),
    sa.Column("ticket_id", sa.Text),
    sa.Column("service_id", sa.Text),
    sa.Column("run_id", sa.Text),
    sa.Column("state", sa.Text, nullable=False, server_default=OPEN),
    sa.Column("resolved_at", sa.Text),
    sa.Column("resolution", sa.Text),
)
# What an older version's dedupe keys hold after their kind ("incident:<id>:<severity>",
# "burn-rate:<service>:<episode start>", ...), and the severity of its alerts whose key and
# message do not say it: a ticket's priority was not recorded (P3, what a normal ticket gets),
# nor a burn rate's window pair (P1, what a fast burn gets).
_OLDER_KEY_IDS = {
    "incident": "incident_id",
    "ack-overdue": "incident_id",
    "ticket-no-response": "ticket_id",
    "burn-rate": "service_id",
    "run-failure": "run_id",
}
_OLDER_SEVERITY = {"burn-rate": "P1", "feed-invalid": "P2", "run-failure": "P2"}


def default_store_path() -> Path:
    if os.environ.get("NEXUS_ALERTS_PATH"):
        return Path(os.environ["NEXUS_ALERTS_PATH"]).expanduser().resolve()
    home = os.environ.get("DAGSTER_HOME")
    base = Path(home) if home else load_settings().duckdb_path.parent
    return base / "nexus_alerts.sqlite"


def stamp(moment: datetime | None = None) -> str:
    """An instant as the record keeps it: UTC ISO text with microseconds, so that text order is
    time order in SQLite and Postgres alike."""
    return (moment or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="microseconds")


def older_alert_facts(dedupe_key: str, severity: str, message: str) -> dict[str, str]:
    """The structured fields of an alert an older version recorded, from what it kept: its
    kind and ids are in its dedupe key; its severity was a delivery word ("page"), so the
    P-level is the key's (incident), the message's first word (ack-overdue) or the kind's."""
    kind, _, rest = dedupe_key.partition(":")
    facts = {"kind": kind}
    if kind in _OLDER_KEY_IDS and rest:
        facts[_OLDER_KEY_IDS[kind]] = rest.split(":")[0]
    if severity not in SEVERITIES:
        named = {"incident": rest.rsplit(":", 1)[-1], "ack-overdue": message.split(" ", 1)[0]}
        found = named.get(kind)
        facts["severity"] = found if found in SEVERITIES else _OLDER_SEVERITY.get(kind, "P3")
    return facts


def _upgrade(engine: sa.Engine) -> None:
    """Give a record made by an older version the columns it lacks, and its rows their kind,
    ids and P-level (older_alert_facts), so an existing file or table keeps working. Two
    processes may race to add a column: the loser finds it there and goes on."""
    present = {column["name"] for column in sa.inspect(engine).get_columns(ALERTS.name)}
    missing = [column for column in ALERTS.columns if column.name not in present]
    try:
        with engine.begin() as connection:
            for column in missing:
                added = CreateColumn(column).compile(dialect=engine.dialect)
                connection.execute(sa.text(f"alter table {ALERTS.name} add column {added}"))
    except (sa.exc.OperationalError, sa.exc.ProgrammingError):
        present = {column["name"] for column in sa.inspect(engine).get_columns(ALERTS.name)}
        if not {column.name for column in missing} <= present:
            raise
    with engine.begin() as connection:
        older = connection.execute(
            sa.select(ALERTS.c.dedupe_key, ALERTS.c.severity, ALERTS.c.message).where(
                ALERTS.c.kind.is_(None)
            )
        ).all()
        for key, severity, message in older:
            facts = older_alert_facts(key, severity, message)
            connection.execute(ALERTS.update().where(ALERTS.c.dedupe_key == key).values(facts))


@cache
def _engine(url: sa.URL) -> sa.Engine:
    """One engine (and connection pool) per store and process; the table made (or brought up
    to date) on first use."""
    engine = sa.create_engine(url, pool_pre_ping=True)
    _METADATA.create_all(engine)
    _upgrade(engine)
    return engine


@dataclass(frozen=True)
class Alert:
    dedupe_key: str
    severity: str
    source: str
    message: str
    first_seen: str
    last_seen: str
    occurrences: int
    delivery: str
    kind: str
    incident_id: str | None
    ticket_id: str | None
    service_id: str | None
    run_id: str | None
    state: str
    resolved_at: str | None
    resolution: str | None

    @property
    def subject(self) -> str:
        return subject(self.incident_id, self.ticket_id, self.service_id, self.run_id) or (
            self.dedupe_key
        )


def subject(
    incident_id: str | None = None,
    ticket_id: str | None = None,
    service_id: str | None = None,
    run_id: str | None = None,
) -> str:
    """The ids an analyst knows an alert by: "incident inc_9 on api", "ticket t1", "run 1f2e"."""
    if incident_id:
        return f"incident {incident_id}" + (f" on {service_id}" if service_id else "")
    named = {"ticket": ticket_id, "service": service_id, "run": run_id}
    return ", ".join(f"{name} {value}" for name, value in named.items() if value)


def slack_payload(severity: str, source: str, message: str) -> dict[str, str]:
    """Slack's incoming-webhook shape (also understood by Mattermost and most chat tools)."""
    return {"text": f"[{severity.upper()}] {source}: {message}"}


def post_webhook(url: str, payload: dict[str, str]) -> str:
    """POST the JSON; returns a delivery note that never contains the URL."""
    request = urllib.request.Request(
        url,
        data=json.dumps(payload).encode("utf-8"),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT_SECONDS) as response:
            return f"posted ({response.status})"
    except OSError as error:  # URLError, HTTPError and timeouts are all OSErrors
        return f"post failed: {type(error).__name__}"


class PostgresStore(dg.Config):
    """Where the deployment's Postgres is; every field set through EnvVar (NEXUS_PG_*)."""

    host: str
    port: str
    username: str
    password: str
    database: str


class AlertResource(dg.ConfigurableResource):
    """Records alerts (dedupe key, kind, P-level, ids, sensor, first/last seen, state) and pages
    once per condition."""

    store_path: str = Field(
        default="", description="SQLite file of the alerts; empty means NEXUS_ALERTS_PATH."
    )
    postgres: PostgresStore | None = Field(
        default=None, description="The instance's Postgres; when set, alerts are kept there."
    )
    webhook_url: str = Field(
        default="", description=f"Slack-compatible webhook; set through EnvVar({WEBHOOK_ENV})."
    )

    def resolved_path(self) -> Path:
        return Path(self.store_path) if self.store_path else default_store_path()

    def _store(self) -> sa.Engine:
        if self.postgres is not None:
            return _engine(
                sa.URL.create(
                    "postgresql+psycopg2",
                    username=self.postgres.username,
                    password=self.postgres.password,
                    host=self.postgres.host,
                    port=int(self.postgres.port),
                    database=self.postgres.database,
                )
            )
        path = self.resolved_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        return _engine(sa.URL.create("sqlite", database=str(path), query={"timeout": "30"}))

    def _seen_again(
        self, connection: sa.Connection, dedupe_key: str, now: str, facts: dict[str, str]
    ) -> bool:
        """Count a sighting; its severity and ids are the latest (an older row gains them)."""
        seen = ALERTS.update().where(ALERTS.c.dedupe_key == dedupe_key)
        values = {"last_seen": now, "occurrences": ALERTS.c.occurrences + 1, **facts}
        return connection.execute(seen.values(values)).rowcount > 0

    def raise_alert(
        self,
        dedupe_key: str,
        severity: str,
        source: str,
        message: str,
        *,
        incident_id: str | None = None,
        ticket_id: str | None = None,
        service_id: str | None = None,
        run_id: str | None = None,
        observed_at: datetime | None = None,
    ) -> bool:
        """Record the alert; True when it paged: it is new, or it was resolved before the
        condition was observed again (`observed_at`, by default now: a feed event replayed
        from before the resolution does not reopen it). Its kind is the key's first part."""
        if severity not in SEVERITIES:
            raise ValueError(
                f"alert {dedupe_key}: severity {severity!r} is not one of {SEVERITIES}"
            )
        now = stamp()
        ids = {"incident_id": incident_id, "ticket_id": ticket_id, "service_id": service_id}
        facts = {"severity": severity} | {
            name: value for name, value in (ids | {"run_id": run_id}).items() if value
        }
        store = self._store()
        try:
            with store.begin() as connection:
                if self._seen_again(connection, dedupe_key, now, facts):
                    reopen = (
                        ALERTS.update()
                        .where(ALERTS.c.dedupe_key == dedupe_key, ALERTS.c.state == RESOLVED)
                        .where(ALERTS.c.resolved_at < stamp(observed_at))
                        .values(state=OPEN, resolved_at=None, resolution=None)
                    )
                    if connection.execute(reopen).rowcount == 0:
                        return False
                else:
                    connection.execute(
                        ALERTS.insert().values(
                            dedupe_key=dedupe_key,
                            kind=dedupe_key.split(":", 1)[0],
                            source=source,
                            message=message,
                            first_seen=now,
                            last_seen=now,
                            occurrences=1,
                            delivery="pending",
                            state=OPEN,
                            **facts,
                        )
                    )
        except sa.exc.IntegrityError:  # another process recorded it first: a repeat
            with store.begin() as connection:
                self._seen_again(connection, dedupe_key, now, facts)
            return False
        delivery = "recorded (no webhook configured)"
        if self.webhook_url:
            delivery = post_webhook(self.webhook_url, slack_payload(severity, source, message))
        with store.begin() as connection:
            connection.execute(
                ALERTS.update().where(ALERTS.c.dedupe_key == dedupe_key).values(delivery=delivery)
            )
        return True

    def resolve_alert(
        self, dedupe_key: str, resolution: str, resolved_at: datetime | None = None
    ) -> bool:
        """Mark an open alert resolved (the sensor saw its condition clear, at `resolved_at` by
        the source's clock, else now); False when it was not open."""
        with self._store().begin() as connection:
            resolved = connection.execute(
                ALERTS.update()
                .where(ALERTS.c.dedupe_key == dedupe_key, ALERTS.c.state == OPEN)
                .values(state=RESOLVED, resolved_at=stamp(resolved_at), resolution=resolution)
            )
        return resolved.rowcount > 0

    def alerts(self, kind: str | None = None, state: str | None = None) -> list[Alert]:
        """Every recorded alert (of a kind, in a state), oldest first."""
        query = sa.select(*ALERTS.c).order_by(ALERTS.c.first_seen, ALERTS.c.dedupe_key)
        if kind is not None:
            query = query.where(ALERTS.c.kind == kind)
        if state is not None:
            query = query.where(ALERTS.c.state == state)
        with self._store().connect() as connection:
            rows = connection.execute(query).all()
        return [Alert(*row) for row in rows]


@dataclass
class TickAlerts:
    """One sensor tick's alerts: each raised or resolved one goes to the record and to the
    tick's log (key, severity, ids and message; never the webhook URL), and `summary` says
    which in the tick's result, so the UI shows them where the tick is."""

    alerts: AlertResource
    log: logging.Logger
    source: str
    raised: list[str] = field(default_factory=list)
    resolved: list[str] = field(default_factory=list)
    repeats: int = 0

    def raise_alert(
        self,
        dedupe_key: str,
        severity: str,
        message: str,
        *,
        about: str = "",
        observed_at: datetime | None = None,
        **ids: str | None,
    ) -> bool:
        """AlertResource.raise_alert with this tick's sensor as the source; True when it paged.
        `about` names an alert that has no ids (a feed file) in the tick's result."""
        raised = self.alerts.raise_alert(
            dedupe_key, severity, self.source, message, observed_at=observed_at, **ids
        )
        if not raised:
            self.repeats += 1
            return False
        named = subject(**ids) or about
        self.log.info(f"Alert raised: {dedupe_key} ({severity}, {named}): {message}")
        self.raised.append(f"{named} ({severity})")
        return True

    def resolve(self, alert: Alert, resolution: str, resolved_at: datetime | None = None) -> None:
        if self.alerts.resolve_alert(alert.dedupe_key, resolution, resolved_at):
            self.log.info(
                f"Alert resolved: {alert.dedupe_key} ({alert.severity}, {alert.subject}): "
                f"{resolution}"
            )
            self.resolved.append(alert.subject)

    def summary(self, noun: str, before: str = "") -> str:
        """E.g. "2 escalation alerts raised: ticket t1 (P3), incident p1 on api (P1); 1
        resolved: ticket t0; 3 seen again." (at most SUMMARY_ITEMS named in each list)."""

        def listed(items: list[str]) -> str:
            shown = ", ".join(items[:SUMMARY_ITEMS])
            return shown + (
                f" and {len(items) - SUMMARY_ITEMS} more" if len(items) > SUMMARY_ITEMS else ""
            )

        parts = [before] if before else []
        parts.append(
            f"{len(self.raised)} {noun} alerts raised"
            + (f": {listed(self.raised)}" if self.raised else "")
        )
        if self.resolved:
            parts.append(f"{len(self.resolved)} resolved: {listed(self.resolved)}")
        if self.repeats:
            parts.append(f"{self.repeats} seen again")
        return "; ".join(parts) + "."


def build_alert_resource() -> AlertResource:
    """Secrets come from the environment only: without a webhook alerts are recorded, not
    posted; with the deployment's Postgres (NEXUS_PG_HOST set) they are recorded there."""
    options: dict = {}
    if os.environ.get(WEBHOOK_ENV):
        options["webhook_url"] = dg.EnvVar(WEBHOOK_ENV)
    if os.environ.get(POSTGRES_ENV["host"]):
        options["postgres"] = PostgresStore(
            **{field: dg.EnvVar(name) for field, name in POSTGRES_ENV.items()}
        )
    return AlertResource(**options)
