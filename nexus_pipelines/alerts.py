"""The one alert resource of the continuous cadence: record every alert, page once per condition.

Alerts are kept in a small SQLite file, not in DuckDB: sensors raise them, and a sensor must
never wait on the warehouse's writer lock. SQLite serialises concurrent writers itself, so the
daemon's sensors and the runs can all write to it. The file is NEXUS_ALERTS_PATH, by default
`nexus_alerts.sqlite` in DAGSTER_HOME (or beside the warehouse when there is none).

An alert is identified by its dedupe key: the first time a key is seen it is recorded and, when
a webhook URL is configured (NEXUS_ALERT_WEBHOOK_URL, read through Dagster's EnvVar), posted
there as Slack-compatible JSON; later sightings only update last_seen and the count, so the same
condition never pages twice. The URL is a secret: it is never logged or stored.
"""

from __future__ import annotations

import json
import os
import sqlite3
import urllib.request
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
from pydantic import Field

from nexus_pipelines.settings import load_settings

WEBHOOK_ENV = "NEXUS_ALERT_WEBHOOK_URL"
WEBHOOK_TIMEOUT_SECONDS = 5
_SCHEMA = """
create table if not exists alerts (
    dedupe_key text primary key,
    severity text not null,
    source text not null,
    message text not null,
    first_seen text not null,
    last_seen text not null,
    occurrences integer not null,
    delivery text not null
)
"""


def default_store_path() -> Path:
    if os.environ.get("NEXUS_ALERTS_PATH"):
        return Path(os.environ["NEXUS_ALERTS_PATH"]).expanduser().resolve()
    home = os.environ.get("DAGSTER_HOME")
    base = Path(home) if home else load_settings().duckdb_path.parent
    return base / "nexus_alerts.sqlite"


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


class AlertResource(dg.ConfigurableResource):
    """Records alerts (severity, source, dedupe key, first/last seen, message) and pages once."""

    store_path: str = Field(
        default="", description="SQLite file of the alerts; empty means NEXUS_ALERTS_PATH."
    )
    webhook_url: str = Field(
        default="", description=f"Slack-compatible webhook; set through EnvVar({WEBHOOK_ENV})."
    )

    def resolved_path(self) -> Path:
        return Path(self.store_path) if self.store_path else default_store_path()

    def _connect(self) -> sqlite3.Connection:
        path = self.resolved_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(path, timeout=30, isolation_level=None)
        connection.execute(_SCHEMA)
        return connection

    def raise_alert(self, dedupe_key: str, severity: str, source: str, message: str) -> bool:
        """Record the alert; True when it is new (and so was paged), False for a repeat."""
        now = datetime.now(UTC).isoformat()
        with closing(self._connect()) as connection:
            connection.execute("begin immediate")
            updated = connection.execute(
                "update alerts set last_seen = ?, occurrences = occurrences + 1 "
                "where dedupe_key = ?",
                (now, dedupe_key),
            ).rowcount
            if updated:
                connection.execute("commit")
                return False
            connection.execute(
                "insert into alerts values (?, ?, ?, ?, ?, ?, 1, 'pending')",
                (dedupe_key, severity, source, message, now, now),
            )
            connection.execute("commit")
        delivery = "recorded (no webhook configured)"
        if self.webhook_url:
            delivery = post_webhook(self.webhook_url, slack_payload(severity, source, message))
        with closing(self._connect()) as connection:
            connection.execute(
                "update alerts set delivery = ? where dedupe_key = ?", (delivery, dedupe_key)
            )
        return True

    def alerts(self) -> list[Alert]:
        """Every recorded alert, oldest first."""
        with closing(self._connect()) as connection:
            rows = connection.execute(
                "select dedupe_key, severity, source, message, first_seen, last_seen, "
                "occurrences, delivery from alerts order by first_seen, dedupe_key"
            ).fetchall()
        return [Alert(*row) for row in rows]


def build_alert_resource() -> AlertResource:
    """The webhook comes from the environment only; without it alerts are recorded, not posted."""
    if os.environ.get(WEBHOOK_ENV):
        return AlertResource(webhook_url=dg.EnvVar(WEBHOOK_ENV))
    return AlertResource()
