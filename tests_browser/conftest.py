"""The browser check's fixtures: a small demo built by the real `nexus demo`, the Dagster
webserver on it, and Debian's Chromium driven by Playwright (`make test-browser`).

Kept out of `make test` (pyproject's testpaths): it needs Chromium and the `browser` extra."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, sync_playwright

# the demo and command helpers the end-to-end tests use, not a second copy of them
sys.path.append(str(Path(__file__).resolve().parents[1] / "tests"))
from deployment import days_with_a_complete_quarter, deployment, nexus
from uipage import INCIDENT, VIEWPORT, UiPage, graphql

from nexus_pipelines.settings import PROJECT_DIR

# Debian's package; Playwright's own browser download cannot work on a closed network
CHROMIUM = "/usr/bin/chromium"
# Without these, Chromium's background services keep calling out and wait on the closed network.
CHROMIUM_ARGS = [
    "--no-sandbox",  # root in a container has no user namespace for the sandbox
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DEMO_USERS = 300  # with the days below: a demo in about a minute
STARTUP_SECONDS = 180


@pytest.fixture(scope="session")
def demo() -> Iterator[dict[str, str]]:
    """A demo company materialised as `make demo` does it, in a deployment of its own, whose
    alert record holds one alert the test knows: the response-watch sensor's escalation of
    INCIDENT, a P1 opened two hours ago and never acknowledged (its target is an hour). The
    small demo raises none of its own."""
    with tempfile.TemporaryDirectory(prefix="nexus-browser-") as root:
        feed = Path(root) / "incident_feed"  # outside the landing folder, which the demo clears
        env = deployment(Path(root), NEXUS_INCIDENT_FEED_DIR=str(feed))
        feed.mkdir()
        opened = datetime.now(UTC) - timedelta(hours=2)
        event = {
            "incident_id": INCIDENT,
            "event_type": "opened",
            "occurred_at": opened.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "severity": "P1",
            "service_id": "api",
            "title": "api returns 503",
        }
        (feed / "browser-check.jsonl").write_text(json.dumps(event) + "\n")
        # one tick of the sensor, as the daemon of `make ui` would run it (none runs here)
        dagster = str(Path(sys.executable).parent / "dagster")
        preview = [dagster, "sensor", "preview", "response_watch_sensor", "-w", "workspace.yaml"]
        done = subprocess.run(
            preview, cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, f"{done.stdout}\n{done.stderr}"
        days = days_with_a_complete_quarter()  # `nexus demo` starts that many days before today
        nexus(env, "demo", "--users", str(DEMO_USERS), "--days", str(days))
        yield env


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


LOCATION_STATUS = """{ workspaceOrError { ... on Workspace { locationEntries {
  name loadStatus locationOrLoadError { __typename ... on PythonError { message } } } } } }"""


def _location_loaded(url: str) -> bool:
    """True once the code location is loaded; fails at once if it failed to load."""
    try:
        entries = graphql(url, LOCATION_STATUS)["data"]["workspaceOrError"]["locationEntries"]
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False
    loaded = [e for e in entries if e["loadStatus"] == "LOADED"]
    for entry in loaded:
        error = entry["locationOrLoadError"]
        assert error["__typename"] == "RepositoryLocation", f"{entry['name']}: {error}"
    return bool(entries) and len(loaded) == len(entries)


@pytest.fixture(scope="session")
def ui_url(demo: dict[str, str]) -> Iterator[str]:
    """`dagster-webserver` on the demo's instance, on a free loopback port; stopped (with the
    code server it starts, in its process group) however the tests end."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = Path(demo["DAGSTER_HOME"]) / "webserver.log"
    webserver = str(Path(sys.executable).parent / "dagster-webserver")
    command = [webserver, "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)]
    with log_path.open("w") as log:
        process = subprocess.Popen(
            command, cwd=PROJECT_DIR, env=demo, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not _location_loaded(url):
            assert process.poll() is None, f"webserver exited:\n{log_path.read_text()[-3000:]}"
            assert time.monotonic() < deadline, (
                f"no UI after {STARTUP_SECONDS} s:\n" + (log_path.read_text()[-3000:])
            )
            time.sleep(1)
        yield url
    finally:
        _stop(process)


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM to the webserver's process group, SIGKILL to whatever is left after 20 s."""
    for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 10)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue
        try:  # the leader is gone; its children (the code server) may not be
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            return


@pytest.fixture(scope="session")
def browser() -> Iterator[BrowserContext]:
    """Headless Chromium with a fresh profile, at the screenshots' size."""
    with tempfile.TemporaryDirectory(prefix="nexus-chromium-") as profile, sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport=VIEWPORT,
            device_scale_factor=1,
        )
        try:
            yield context
        finally:
            context.close()


@pytest.fixture
def ui(browser: BrowserContext, ui_url: str) -> Iterator[UiPage]:
    page = UiPage(browser.new_page(), ui_url)
    try:
        yield page
    finally:
        page.close()
