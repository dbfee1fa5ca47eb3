"""The one alert resource of the continuous cadence: record every alert, page once per condition.

Alerts are not kept in DuckDB: sensors raise them, and a sensor must never wait on the
warehouse's writer lock. On one machine (`make ui`) the record is a small SQLite file,
NEXUS_ALERTS_PATH, by default `nexus_alerts.sqlite` in DAGSTER_HOME (or beside the warehouse when
there is none). In the production shape (docs/deploy.md) it is the table `alerts` in the
instance's own Postgres database (NEXUS_PG_*), which every daemon, webserver and run of the
deployment sees. Both go through SQLAlchemy, so one piece of code serves both.

An alert is identified by its dedupe key: the first time a key is seen it is recorded and, when
a webhook URL is configured (NEXUS_ALERT_WEBHOOK_URL, read through Dagster's EnvVar), posted
there as Slack-compatible JSON; later sightings only update last_seen and the count, so the same
condition never pages twice, even when two processes see it at once (the key is the primary key:
the second insert fails and counts as a sighting). The URL and the database password are
secrets: they are never logged or stored.
"""

from __future__ import annotations

import json
import os
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import dagster as dg
import sqlalchemy as sa
from pydantic import Field

from nexus_pipelines.settings import load_settings

WEBHOOK_ENV = "NEXUS_ALERT_WEBHOOK_URL"
WEBHOOK_TIMEOUT_SECONDS = 5
# The instance's Postgres (deploy/dagster.yaml reads the same variables).
POSTGRES_ENV = {
    "host": "NEXUS_PG_HOST",
    "port": "NEXUS_PG_PORT",
    "username": "NEXUS_PG_USER",
    "password": "NEXUS_PG_PASSWORD",
    "database": "NEXUS_PG_DB",
}
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
)


def default_store_path() -> Path:
    if os.environ.get("NEXUS_ALERTS_PATH"):
        return Path(os.environ["NEXUS_ALERTS_PATH"]).expanduser().resolve()
    home = os.environ.get("DAGSTER_HOME")
    base = Path(home) if home else load_settings().duckdb_path.parent
    return base / "nexus_alerts.sqlite"


@cache
def _engine(url: sa.URL) -> sa.Engine:
    """One engine (and connection pool) per store and process; the table made on first use."""
    engine = sa.create_engine(url, pool_pre_ping=True)
    _METADATA.create_all(engine)
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
    """Records alerts (severity, source, dedupe key, first/last seen, message) and pages once."""

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

    def _seen_again(self, connection: sa.Connection, dedupe_key: str, now: str) -> bool:
        seen = ALERTS.update().where(ALERTS.c.dedupe_key == dedupe_key)
        values = {"last_seen": now, "occurrences": ALERTS.c.occurrences + 1}
        return connection.execute(seen.values(values)).rowcount > 0

    def raise_alert(self, dedupe_key: str, severity: str, source: str, message: str) -> bool:
        """Record the alert; True when it is new (and so was paged), False for a repeat."""
        now = datetime.now(UTC).isoformat()
        store = self._store()
        try:
            with store.begin() as connection:
                if self._seen_again(connection, dedupe_key, now):
                    return False
                connection.execute(
                    ALERTS.insert().values(
                        dedupe_key=dedupe_key,
                        severity=severity,
                        source=source,
                        message=message,
                        first_seen=now,
                        last_seen=now,
                        occurrences=1,
                        delivery="pending",
                    )
                )
        except sa.exc.IntegrityError:  # another process recorded it first: a repeat
            with store.begin() as connection:
                self._seen_again(connection, dedupe_key, now)
            return False
        delivery = "recorded (no webhook configured)"
        if self.webhook_url:
            delivery = post_webhook(self.webhook_url, slack_payload(severity, source, message))
        with store.begin() as connection:
            connection.execute(
                ALERTS.update().where(ALERTS.c.dedupe_key == dedupe_key).values(delivery=delivery)
            )
        return True

    def alerts(self) -> list[Alert]:
        """Every recorded alert, oldest first."""
        with self._store().connect() as connection:
            rows = connection.execute(
                sa.select(*ALERTS.c).order_by(ALERTS.c.first_seen, ALERTS.c.dedupe_key)
            ).all()
        return [Alert(*row) for row in rows]


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
