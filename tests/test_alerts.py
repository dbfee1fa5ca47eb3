"""The alert resource: one record per dedupe key, one webhook post per new condition.

The webhook is a real HTTP server on 127.0.0.1 (an ephemeral port) in a thread of this test; it
is shut down when the test ends, whatever happens.
"""

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import dagster as dg
import pytest

from nexus_pipelines.alerts import WEBHOOK_ENV, AlertResource, build_alert_resource


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
        assert alerts.raise_alert("incident:inc_1:P0", "page", "test", "api is down")
        assert not alerts.raise_alert("incident:inc_1:P0", "page", "test", "api is down")
        assert alerts.raise_alert("incident:inc_2:P1", "page", "test", "web is slow")
    assert received == [
        {"text": "[PAGE] test: api is down"},
        {"text": "[PAGE] test: web is slow"},
    ]
    first, second = alerts.alerts()
    assert (first.dedupe_key, first.occurrences, first.delivery) == (
        "incident:inc_1:P0",
        2,
        "posted (200)",
    )
    assert first.first_seen <= first.last_seen and second.occurrences == 1


def test_a_failing_webhook_is_recorded_without_the_secret_url(tmp_path: Path) -> None:
    with webhook_server(500) as (url, received):
        alerts = AlertResource(store_path=str(tmp_path / "alerts.sqlite"), webhook_url=url)
        assert alerts.raise_alert("burn-rate:api", "page", "test", "burning")
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
        assert resources.alerts.raise_alert("k", "warning", "test", "no webhook")
    with webhook_server(200) as (url, received):
        monkeypatch.setenv(WEBHOOK_ENV, url)
        with dg.build_resources({"alerts": build_alert_resource()}) as resources:
            assert resources.alerts.raise_alert("k2", "warning", "test", "through EnvVar")
    assert received == [{"text": "[WARNING] test: through EnvVar"}]
    assert AlertResource().resolved_path() == tmp_path / "alerts.sqlite"
