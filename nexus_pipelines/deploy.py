"""`nexus deploy start|status|stop`: the production shape on one machine.

Three processes share one Postgres-backed instance (deploy/dagster.yaml): a code server that loads
the code location and executes its runs, the daemon (schedules, sensors, the run queue, run
monitoring and retries; exactly one per deployment) and a webserver (any number), all bound to
127.0.0.1. Each is started in a session of its own and recorded in $DAGSTER_HOME/deploy.json with
its process group, so that `stop` can end everything it started: SIGTERM to the group, a grace
period, then SIGKILL (the code server has been seen to ignore SIGTERM and leave its
`dagster api grpc` child behind). docs/deploy.md walks through it.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from contextlib import suppress
from dataclasses import asdict, dataclass
from pathlib import Path

from nexus_pipelines.alerts import POSTGRES_ENV
from nexus_pipelines.settings import PROJECT_DIR

DEPLOY_DIR = PROJECT_DIR / "deploy"
STATE_FILE = "deploy.json"
LOG_DIR = "deploy-logs"
HOST = "127.0.0.1"
LOCATION = "nexus_pipelines"
# The order they start in; they stop in reverse (the webserver and daemon before their code).
ROLES = ("code_server", "daemon", "webserver")


class DeployError(RuntimeError):
    """A deployment that cannot start or stop as asked; the message says what to do."""


@dataclass(frozen=True)
class Process:
    role: str
    pid: int
    log: str
    command: list[str]


def _bin(name: str) -> str:
    """The Dagster command installed beside this Python (the project's virtual environment)."""
    return str(Path(sys.executable).parent / name)


def _home() -> Path:
    home = os.environ.get("DAGSTER_HOME")
    if not home:
        raise DeployError("DAGSTER_HOME is not set: it names the deployment's instance folder")
    return Path(home).resolve()


def _group_members(pgid: int) -> list[int]:
    """The processes still in a process group, zombies excluded (Linux /proc)."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
            members.append(int(stat.parent.name))
    return members


def _alive(pgid: int) -> bool:
    return bool(_group_members(pgid))


def recorded(home: Path) -> list[Process]:
    path = home / STATE_FILE
    if not path.is_file():
        return []
    return [Process(**item) for item in json.loads(path.read_text())["processes"]]


def prepare_home(home: Path, code_port: int) -> Path:
    """The production instance and a workspace pointing at the code server's port."""
    home.mkdir(parents=True, exist_ok=True)
    shutil.copy(DEPLOY_DIR / "dagster.yaml", home / "dagster.yaml")
    workspace = (DEPLOY_DIR / "workspace.yaml").read_text(encoding="utf-8")
    workspace = workspace.replace("port: 4000", f"port: {code_port}")
    (home / "workspace.yaml").write_text(workspace, encoding="utf-8")
    return home / "workspace.yaml"


def _wait_for(what: str, ready: Callable[[], bool], process: subprocess.Popen, timeout: float):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise DeployError(f"{what} exited with code {process.returncode} before it was ready")
        if ready():
            return
        time.sleep(0.5)
    raise DeployError(f"{what} not ready after {timeout:.0f} s")


def code_server_healthy(port: int) -> bool:
    check = [_bin("dagster"), "api", "grpc-health-check", "-h", HOST, "-p", str(port)]
    return subprocess.run(check, capture_output=True, check=False).returncode == 0


def webserver_healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://{HOST}:{port}/server_info", timeout=5) as answer:
            return answer.status == 200
    except OSError:
        return False


def daemon_healthy(workspace: Path) -> bool:
    """The daemon's own liveness check: recent heartbeats from each of its daemons."""
    check = [_bin("dagster-daemon"), "liveness-check"]
    completed = subprocess.run(
        check, capture_output=True, check=False, cwd=workspace.parent, timeout=60
    )
    return completed.returncode == 0


def _ready(role: str, command: list[str], workspace: Path) -> Callable[[], bool]:
    """The health check of a role, on the port its command serves."""
    if role == "daemon":
        return lambda: daemon_healthy(workspace)
    port = int(command[command.index("-p") + 1])
    if role == "code_server":
        return lambda: code_server_healthy(port)
    return lambda: webserver_healthy(port)


def start(code_port: int = 4000, ui_port: int = 3000, timeout: float = 180) -> list[Process]:
    """Start the code server, then the daemon and the webserver against it; wait until each
    answers its health check. Anything started is stopped again if a later step fails."""
    missing = [name for name in POSTGRES_ENV.values() if not os.environ.get(name)]
    if missing:
        raise DeployError(f"set {', '.join(missing)}: the instance's Postgres connection")
    home = _home()
    if any(_alive(process.pid) for process in recorded(home)):
        raise DeployError(f"a deployment is already running from {home}: `nexus deploy stop`")
    workspace = prepare_home(home, code_port)
    commands = {
        "code_server": [
            _bin("dagster"), "code-server", "start", "-m", "nexus_pipelines.definitions",
            "-a", "defs", "--location-name", LOCATION, "-h", HOST, "-p", str(code_port),
        ],
        "daemon": [sys.executable, "-m", "nexus_pipelines.daemon", "run", "-w", str(workspace)],
        "webserver": [
            _bin("dagster-webserver"), "-w", str(workspace), "-h", HOST, "-p", str(ui_port),
        ],
    }  # fmt: skip
    _record(home, [])
    started: list[Process] = []
    try:
        for role in ROLES:
            ready = _ready(role, commands[role], workspace)
            started.append(_launch(home, role, commands[role], ready, timeout))
    except BaseException:
        stop()
        raise
    return started


def _launch(
    home: Path, role: str, command: list[str], ready: Callable[[], bool], timeout: float
) -> Process:
    """Start one process in a session of its own, record it, wait until it is healthy."""
    log = home / LOG_DIR / f"{role}.log"
    log.parent.mkdir(exist_ok=True)
    with log.open("ab") as output:
        process = subprocess.Popen(
            command,
            cwd=PROJECT_DIR,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    started = Process(role, process.pid, str(log), command)
    others = [item for item in recorded(home) if item.role != role]
    _record(home, sorted([*others, started], key=lambda item: ROLES.index(item.role)))
    _wait_for(f"the {role.replace('_', ' ')} (log: {log})", ready, process, timeout)
    return started


def restart(role: str, timeout: float = 180) -> Process:
    """Stop one process and start it again with the same command (the daemon after a crash, the
    code server to load new code); the others keep running."""
    home = _home()
    found = {process.role: process for process in recorded(home)}
    if role not in found:
        raise DeployError(f"no {role} recorded in {home / STATE_FILE}")
    _end_group(found[role])
    command = found[role].command
    ready = _ready(role, command, home / "workspace.yaml")
    return _launch(home, role, command, ready, timeout)


def _record(home: Path, processes: list[Process]) -> None:
    state = {"processes": [asdict(process) for process in processes]}
    (home / STATE_FILE).write_text(json.dumps(state, indent=2), encoding="utf-8")


def _end_group(process: Process, grace_seconds: float = 20) -> bool:
    """SIGTERM the process's group, SIGKILL what is left after the grace period; False when it
    had to be killed."""
    if not _alive(process.pid):
        return True
    with suppress(ProcessLookupError):  # the group may end by itself meanwhile
        os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace_seconds
    while _alive(process.pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    if not _alive(process.pid):
        return True
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    while _alive(process.pid):
        time.sleep(0.1)
    return False


def status() -> dict[str, bool]:
    """Whether each recorded process (group) is still running."""
    return {process.role: _alive(process.pid) for process in recorded(_home())}


def stop(grace_seconds: float = 20) -> list[str]:
    """End every recorded process group, newest first: SIGTERM, then SIGKILL after the grace
    period; returns what had to be killed. Raises if any process is left."""
    home = _home()
    killed = [
        process.role
        for process in reversed(recorded(home))
        if not _end_group(process, grace_seconds)
    ]
    left = [process.role for process in recorded(home) if _group_members(process.pid)]
    if left:
        raise DeployError(f"still running after SIGKILL: {', '.join(left)}")
    (home / STATE_FILE).unlink(missing_ok=True)
    return killed
