"""`make ui` runs `nexus ui`: the webserver and the project's daemon on the instance, on
loopback, until Ctrl-C, which stops every process it started."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

from deployment import NEXUS, deployment, open_instance
from postgres import free_port

from nexus_pipelines.deploy import _group_members, webserver_healthy


def _wait(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.5)
    raise AssertionError(f"{what} within {seconds:.0f} s")


def _instance_info(port: int) -> str:
    """What the webserver says of its instance (a parallel test's webserver may hold a port
    that `free_port` offered us too)."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": "{ instance { info } }"}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as answer:
        return json.loads(answer.read())["data"]["instance"]["info"]


def _start_ui(env: dict[str, str], log: Path) -> tuple[subprocess.Popen, int]:
    """`nexus ui` on a free port, serving; another port if a parallel test took that one."""
    for _ in range(3):
        port = free_port()
        with log.open("ab") as output:
            ui = subprocess.Popen(
                [NEXUS, "ui", "--port", str(port)],
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own group, as a terminal's foreground job
            )
        _wait(
            lambda: ui.poll() is not None or webserver_healthy(port),  # noqa: B023
            180,
            "the webserver answering on 127.0.0.1",
        )
        if ui.poll() is None and env["DAGSTER_HOME"] in _instance_info(port):
            return ui, port
    raise AssertionError(f"`nexus ui` exited three times:\n{log.read_text()[-3000:]}")


def _stop(ui: subprocess.Popen, stop: Callable[[], None]) -> None:
    """Stop `nexus ui` as `stop` does; every process of its group must end (killed if not)."""
    try:
        stop()
        ui.wait(timeout=90)
        _wait(lambda: not _group_members(ui.pid), 60, "every process of `nexus ui` ending")
    finally:
        if _group_members(ui.pid):
            os.killpg(ui.pid, signal.SIGKILL)


def test_a_sigterm_to_nexus_ui_alone_stops_its_webserver_and_daemon(tmp_path: Path) -> None:
    """A process manager stops the command, not its group: nothing may be left running."""
    env = deployment(tmp_path)
    log = tmp_path / "ui.log"
    ui, _ = _start_ui(env, log)
    _stop(ui, lambda: ui.send_signal(signal.SIGTERM))
    assert ui.returncode == 0, log.read_text()[-3000:]


def test_nexus_ui_serves_the_ui_runs_the_daemon_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    env = deployment(tmp_path)
    log = tmp_path / "ui.log"
    ui, port = _start_ui(env, log)
    try:
        instance = open_instance(env["DAGSTER_HOME"])
        # the daemon is the project's: its backfill loop is one of those beating
        _wait(
            lambda: ui.poll() is not None or "BACKFILL" in instance.get_daemon_heartbeats(),
            300,
            "the daemon's backfill loop beating in the instance",
        )
        assert ui.poll() is None, log.read_text()[-3000:]
        commands = [
            (Path("/proc") / str(pid) / "cmdline").read_bytes().split(b"\0")
            for pid in _group_members(ui.pid)
        ]
        assert [b"-m", b"nexus_pipelines.daemon", b"run"] in [c[1:4] for c in commands]
        assert "event_log_storage: PooledSqliteEventLogStorage" in _instance_info(port)
    finally:  # what Ctrl-C sends: SIGINT to the foreground group
        _stop(ui, lambda: os.killpg(ui.pid, signal.SIGINT))
    assert ui.returncode == 0, log.read_text()[-3000:]
