"""The alert resource: one record per dedupe key, one webhook post per new condition.

The webhook is a real HTTP server on 127.0.0.1 (an ephemeral port) in a thread of this test; it
is shut down when the test ends, whatever happens.
"""

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa
from postgres import postgres_cluster

from nexus_pipelines.alerts import (
    ALERTS,
    WEBHOOK_ENV,
    Alert,
    AlertResource,
    PostgresStore,
    build_alert_resource,
)
from nexus_pipelines.alerts_asset import build_alerts_asset
from nexus_pipelines.warehouse import Warehouse


@contextmanager
def webhook_server(status: int) -> Iterator[tuple[str, list[dict]]]:
    """Yields (url, received JSON bodies); answers every POST with `status`."""
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers["Content-Length"])
            received.append(json.loads(self.rfile.read(length)))
            self.send_response(status)
            self.end_headers()

        def log_message(self, *args: object) -> None:  # keep the test output quiet
            return

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/hooks/secret-token", received
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_a_condition_is_recorded_and_posted_once(tmp_path: Path) -> None:
    with webhook_server(200) as (url, received):
        alerts = AlertResource(store_path=str(tmp_path / "alerts.sqlite"), webhook_url=url)
        assert alerts.raise_alert(
            "incident:inc_1:P0", "P0", "test", "api is down", incident_id="inc_1"
        )
        assert not alerts.raise_alert(
            "incident:inc_1:P0", "P0", "test", "api is down", incident_id="inc_1", service_id="api"
        )
        assert alerts.raise_alert("ticket-no-response:t9", "P3", "test", "t9 waits", ticket_id="t9")
    assert received == [
        {"text": "[P0] test: api is down"},
        {"text": "[P3] test: t9 waits"},
    ]
    first, second = alerts.alerts()
    assert (first.dedupe_key, first.occurrences, first.delivery) == (
        "incident:inc_1:P0",
        2,
        "posted (200)",
    )
    # a sighting adds the ids it knows (the service) and keeps the ones it does not repeat
    assert (first.kind, first.severity, first.incident_id, first.service_id, first.state) == (
        "incident",
        "P0",
        "inc_1",
        "api",
        "open",
    )
    assert (second.kind, second.ticket_id, second.incident_id) == ("ticket-no-response", "t9", None)
    assert first.first_seen <= first.last_seen and second.occurrences == 1


def test_a_severity_is_a_p_level(tmp_path: Path) -> None:
    alerts = AlertResource(store_path=str(tmp_path / "alerts.sqlite"))
    with pytest.raises(ValueError, match="page"):
        alerts.raise_alert("burn-rate:api:x", "page", "test", "burning")
    assert alerts.alerts() == []


def test_a_resolved_alert_reopens_only_when_seen_after_its_resolution(tmp_path: Path) -> None:
    """Resolved at 10:30 (by the source's clock). A feed event of 10:00 replayed later is history:
    a sighting, not a reopening. An event of 11:00 is the condition again: reopened and paged."""
    with webhook_server(200) as (url, received):
        alerts = AlertResource(store_path=str(tmp_path / "alerts.sqlite"), webhook_url=url)
        key = "incident:inc_7:P1"
        assert alerts.raise_alert(key, "P1", "test", "web slow", incident_id="inc_7")
        assert alerts.resolve_alert(
            key, "incident resolved", datetime(2026, 5, 1, 10, 30, tzinfo=UTC)
        )
        assert not alerts.resolve_alert(key, "again")  # it was no longer open
        (alert,) = alerts.alerts(state="resolved")
        assert (alert.resolved_at, alert.resolution) == (
            "2026-05-01T10:30:00.000000+00:00",
            "incident resolved",
        )
        replayed = datetime(2026, 5, 1, 10, 0, tzinfo=UTC)
        assert not alerts.raise_alert(key, "P1", "test", "web slow", observed_at=replayed)
        assert [a.state for a in alerts.alerts()] == ["resolved"]
        again = datetime(2026, 5, 1, 11, 0, tzinfo=UTC)
        assert alerts.raise_alert(key, "P1", "test", "web slow", observed_at=again)
    (alert,) = alerts.alerts(kind="incident")
    assert (alert.state, alert.resolved_at, alert.resolution, alert.occurrences) == (
        "open",
        None,
        None,
        3,
    )
    assert len(received) == 2  # first raised, and reopened


def test_a_failing_webhook_is_recorded_without_the_secret_url(tmp_path: Path) -> None:
    with webhook_server(500) as (url, received):
        alerts = AlertResource(store_path=str(tmp_path / "alerts.sqlite"), webhook_url=url)
        assert alerts.raise_alert("burn-rate:api:t0", "P1", "test", "burning", service_id="api")
    (alert,) = alerts.alerts()
    assert len(received) == 1
    assert alert.delivery == "post failed: HTTPError"
    assert "secret-token" not in json.dumps(alert.__dict__)


def test_the_webhook_url_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEXUS_ALERTS_PATH", str(tmp_path / "alerts.sqlite"))
    monkeypatch.delenv(WEBHOOK_ENV, raising=False)
    with dg.build_resources({"alerts": build_alert_resource()}) as resources:
        assert resources.alerts.webhook_url == ""
        assert resources.alerts.raise_alert("k", "P3", "test", "no webhook")
    with webhook_server(200) as (url, received):
        monkeypatch.setenv(WEBHOOK_ENV, url)
        with dg.build_resources({"alerts": build_alert_resource()}) as resources:
            assert resources.alerts.raise_alert("k2", "P2", "test", "through EnvVar")
    assert received == [{"text": "[P2] test: through EnvVar"}]
    assert AlertResource().resolved_path() == tmp_path / "alerts.sqlite"


# ----------------------------------------------------------- a record from an older version

# The table as the version before structured alerts made it, and rows it wrote.
OLDER_TABLE = """
create table alerts (
    dedupe_key text primary key, severity text not null, source text not null,
    message text not null, first_seen text not null, last_seen text not null,
    occurrences integer not null, delivery text not null
)"""
OLDER_ROWS = [
    ("incident:inc_1:P0", "page", "incident_feed_sensor", "P0 incident inc_1 on api: down"),
    ("ack-overdue:inc_2", "escalation", "response_watch_sensor", "P1 incident inc_2 on web is "
     "unacknowledged 90 min after detection (target 60 min)"),
    ("ticket-no-response:t-17", "escalation", "response_watch_sensor", "Ticket t-17 waits"),
    ("burn-rate:api:2026-05-01T09:00:00+00:00", "page", "burn_rate_sensor", "api is burning"),
    ("run-failure:0f3c", "high", "run_failure_alert_sensor", "Run 0f3c of daily failed"),
    ("feed-invalid:9a9a", "warning", "incident_feed_sensor", "feed file x.jsonl: severity must "
     "be one of ('P0', 'P1', 'P2', 'P3')"),
]  # fmt: skip
# What each older row is once upgraded: kind, P-level and ids from its key (and, for an
# escalation, the severity its message begins with); every one open.
UPGRADED = [
    ("incident:inc_1:P0", "incident", "P0", "inc_1", None, None, None, "open"),
    ("ack-overdue:inc_2", "ack-overdue", "P1", "inc_2", None, None, None, "open"),
    ("ticket-no-response:t-17", "ticket-no-response", "P3", None, "t-17", None, None, "open"),
    ("burn-rate:api:2026-05-01T09:00:00+00:00", "burn-rate", "P1", None, None, "api", None, "open"),
    ("run-failure:0f3c", "run-failure", "P2", None, None, None, "0f3c", "open"),
    ("feed-invalid:9a9a", "feed-invalid", "P2", None, None, None, None, "open"),
]


def upgraded_rows(alerts: list[Alert]) -> list[tuple]:
    return [
        (a.dedupe_key, a.kind, a.severity, a.incident_id, a.ticket_id, a.service_id, a.run_id,
         a.state)
        for a in sorted(alerts, key=lambda alert: OLDER_ROWS.index(next(
            row for row in OLDER_ROWS if row[0] == alert.dedupe_key)))
    ]  # fmt: skip


def write_older_record(engine: sa.Engine) -> None:
    with engine.begin() as connection:
        connection.execute(sa.text(OLDER_TABLE))
        for number, (key, severity, source, message) in enumerate(OLDER_ROWS):
            seen = f"2026-05-01T09:{number:02d}:00.500000+00:00"
            connection.execute(
                sa.text("insert into alerts values (:k, :s, :src, :m, :t, :t, 1, 'posted (200)')"),
                {"k": key, "s": severity, "src": source, "m": message, "t": seen},
            )


def check_older_record_keeps_working(alerts: AlertResource, engine: sa.Engine) -> None:
    assert upgraded_rows(alerts.alerts()) == UPGRADED
    columns = {column["name"] for column in sa.inspect(engine).get_columns("alerts")}
    assert {"kind", "incident_id", "ticket_id", "service_id", "run_id", "state"} <= columns
    # an old condition seen again is a sighting (no second page) that completes its ids
    assert not alerts.raise_alert(
        "ack-overdue:inc_2", "P1", "response_watch_sensor", "again", incident_id="inc_2",
        service_id="web",
    )  # fmt: skip
    assert alerts.resolve_alert("run-failure:0f3c", "a later run succeeded")
    by_key = {alert.dedupe_key: alert for alert in alerts.alerts()}
    assert (by_key["ack-overdue:inc_2"].occurrences, by_key["ack-overdue:inc_2"].service_id) == (
        2,
        "web",
    )
    assert by_key["run-failure:0f3c"].state == "resolved"
    assert by_key["incident:inc_1:P0"].first_seen == "2026-05-01T09:00:00.500000+00:00"
    assert alerts.raise_alert("incident:inc_3:P1", "P1", "test", "new", incident_id="inc_3")
    assert len(alerts.alerts(state="open")) == 6


def test_a_record_file_from_an_older_version_keeps_working(tmp_path: Path) -> None:
    path = tmp_path / "older.sqlite"
    write_older_record(sa.create_engine(f"sqlite:///{path}"))
    alerts = AlertResource(store_path=str(path))
    check_older_record_keeps_working(alerts, sa.create_engine(f"sqlite:///{path}"))


def test_a_record_table_from_an_older_version_keeps_working_in_postgres() -> None:
    """The production shape keeps the record in the instance's Postgres (docs/deploy.md)."""
    with postgres_cluster() as environment:
        store = PostgresStore(
            host=environment["NEXUS_PG_HOST"],
            port=environment["NEXUS_PG_PORT"],
            username=environment["NEXUS_PG_USER"],
            password=environment["NEXUS_PG_PASSWORD"],
            database=environment["NEXUS_PG_DB"],
        )
        url = sa.URL.create(
            "postgresql+psycopg2",
            username=store.username,
            password=store.password,
            host=store.host,
            port=int(store.port),
            database=store.database,
        )
        engine = sa.create_engine(url)
        try:
            write_older_record(engine)
            check_older_record_keeps_working(AlertResource(postgres=store), engine)
        finally:
            engine.dispose()


# ----------------------------------------------------------- reporting/alerts

# A record by hand: a P0 page since resolved, an urgent ticket waiting, a slow burn on web.
RECORD = [
    {"dedupe_key": "incident:inc_9:P0", "severity": "P0", "source": "incident_feed_sensor",
     "message": "P0 incident inc_9 on api: api down", "first_seen": "2026-05-01T08:00:00+00:00",
     "last_seen": "2026-05-01T08:05:00+00:00", "occurrences": 3, "delivery": "posted (200)",
     "kind": "incident", "incident_id": "inc_9", "service_id": "api", "state": "resolved",
     "resolved_at": "2026-05-01T09:30:00+00:00", "resolution": "incident resolved"},
    {"dedupe_key": "ticket-no-response:T-1", "severity": "P1", "source": "response_watch_sensor",
     "message": "Ticket T-1 waits", "first_seen": "2026-05-02T12:00:00+00:00",
     "last_seen": "2026-05-02T12:00:00+00:00", "occurrences": 1,
     "delivery": "recorded (no webhook configured)", "kind": "ticket-no-response",
     "ticket_id": "T-1", "state": "open"},
    {"dedupe_key": "burn-rate:web:2026-05-01T10:00:00+00:00", "severity": "P2",
     "source": "burn_rate_sensor", "message": "web is burning its error budget",
     "first_seen": "2026-05-01T10:01:00+00:00", "last_seen": "2026-05-01T11:00:00+00:00",
     "occurrences": 60, "delivery": "posted (200)", "kind": "burn-rate", "service_id": "web",
     "state": "open"},
]  # fmt: skip


def materialize_alerts(instance: dg.DagsterInstance, store: Path, warehouse: Warehouse):
    result = dg.materialize(
        [build_alerts_asset()],
        instance=instance,
        resources={"warehouse": warehouse, "alerts": AlertResource(store_path=str(store))},
    )
    assert result.success
    (event,) = result.get_asset_materialization_events()
    return event.materialization


def test_the_alerts_asset_lists_every_alert_newest_first(
    tmp_path: Path, warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    """reporting.alerts holds the record's three alerts; the UI's table shows them newest first
    in the reporting timezone (New York, EDT in May: UTC-4); counts by state and severity."""
    monkeypatch.setenv("NEXUS_REPORTING_TZ", "America/New_York")
    store = tmp_path / "alerts.sqlite"
    AlertResource(store_path=str(store)).alerts()  # makes the table
    with sa.create_engine(f"sqlite:///{store}").begin() as connection:
        for alert in RECORD:
            connection.execute(ALERTS.insert().values(alert))
    with dg.instance_for_test() as instance:
        shown = materialize_alerts(instance, store, warehouse)
        with warehouse.get_connection(read_only=True) as connection:
            rows = connection.execute(
                "select alert_key, kind, severity, state, incident_id, ticket_id, service_id, "
                "raised_by, times_seen, strftime(first_seen, '%Y-%m-%d %H:%M'), "
                "strftime(resolved_at, '%H:%M') from reporting.alerts order by first_seen desc"
            ).fetchall()
        assert rows == [
            ("ticket-no-response:T-1", "ticket-no-response", "P1", "open", None, "T-1", None,
             "response_watch_sensor", 1, "2026-05-02 12:00", None),
            ("burn-rate:web:2026-05-01T10:00:00+00:00", "burn-rate", "P2", "open", None, None,
             "web", "burn_rate_sensor", 60, "2026-05-01 10:01", None),
            ("incident:inc_9:P0", "incident", "P0", "resolved", "inc_9", None, "api",
             "incident_feed_sensor", 3, "2026-05-01 08:00", "09:30"),
        ]  # fmt: skip
        metadata = shown.metadata
        table = metadata["alerts"].value
        assert [record.data["alert_key"] for record in table.records] == [row[0] for row in rows]
        assert [record.data["first_seen"] for record in table.records] == [
            "2026-05-02 08:00:00 EDT",
            "2026-05-01 06:01:00 EDT",
            "2026-05-01 04:00:00 EDT",
        ]
        assert table.records[2].data["resolved_at"] == "2026-05-01 05:30:00 EDT"
        assert [column.name for column in table.schema.columns][:4] == [
            "first_seen",
            "severity",
            "state",
            "kind",
        ]
        assert all(column.description for column in table.schema.columns)
        counts = {
            key: metadata[key].value for key in metadata if key.startswith(("alerts_", "open_"))
        }
        assert counts == {
            "alerts_open": 2, "alerts_resolved": 1,
            "alerts_p0": 1, "alerts_p1": 1, "alerts_p2": 1, "alerts_p3": 0,
            "open_p0": 0, "open_p1": 1, "open_p2": 1, "open_p3": 0,
        }  # fmt: skip
        assert metadata["dagster/row_count"].value == 3

        # The ticket is answered: the next run replaces the table, no row added or kept twice.
        AlertResource(store_path=str(store)).resolve_alert("ticket-no-response:T-1", "answered")
        again = materialize_alerts(instance, store, warehouse)
    with warehouse.get_connection(read_only=True) as connection:
        assert connection.execute(
            "select alert_key, state from reporting.alerts order by alert_key"
        ).fetchall() == [
            ("burn-rate:web:2026-05-01T10:00:00+00:00", "open"),
            ("incident:inc_9:P0", "resolved"),
            ("ticket-no-response:T-1", "resolved"),
        ]
    assert (again.metadata["alerts_open"].value, again.metadata["open_p1"].value) == (1, 0)
