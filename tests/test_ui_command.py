"""`make ui` runs `nexus ui`: the webserver and the project's daemon on the instance, on
loopback, until Ctrl-C, which stops every process it started."""

from __future__ import annotations

import os
import signal
import subprocess
import time
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


def test_nexus_ui_serves_the_ui_runs_the_daemon_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    env = deployment(tmp_path)
    port = free_port()
    ui = subprocess.Popen(
        [NEXUS, "ui", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own group, as a terminal's foreground job
    )
    try:
        _wait(lambda: webserver_healthy(port), 180, "the webserver answering on 127.0.0.1")
        instance = open_instance(env["DAGSTER_HOME"])
        # the daemon is the project's: its backfill loop is one of those beating
        _wait(
            lambda: "BACKFILL" in instance.get_daemon_heartbeats(),
            180,
            "the daemon's backfill loop beating in the instance",
        )
        commands = [
            (Path("/proc") / str(pid) / "cmdline").read_bytes().split(b"\0")
            for pid in _group_members(ui.pid)
        ]
        assert [b"-m", b"nexus_pipelines.daemon", b"run"] in [c[1:4] for c in commands]
    finally:
        os.killpg(ui.pid, signal.SIGINT)  # what Ctrl-C sends the foreground group
        try:
            ui.wait(timeout=90)
            _wait(lambda: not _group_members(ui.pid), 60, "every process of `nexus ui` ending")
        finally:
            if _group_members(ui.pid):
                os.killpg(ui.pid, signal.SIGKILL)
    assert ui.returncode == 0
