"""A throwaway PostgreSQL cluster for the deployment tests: `initdb` in a temporary folder, owned by
a non-root user (PostgreSQL refuses to run as root), listening on a free loopback port with a
password, and removed afterwards whatever happens."""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SERVER_USER = "nobody"  # only when the tests run as root
DATABASE = "nexus"
ROLE = "nexus"


def _server_binary(name: str) -> str:
    """initdb and pg_ctl from PATH or Debian's versioned folder; missing is an error, not a skip."""
    found = shutil.which(name) or next(
        (str(path) for path in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))), None
    )
    if found is None:
        raise RuntimeError(
            f"{name} not found: the deployment tests need the PostgreSQL server binaries "
            "(README: `apt-get install postgresql`)"
        )
    return found


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _as_server_user(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", SERVER_USER, "--", *command]


@contextmanager
def postgres_cluster() -> Iterator[dict[str, str]]:
    """Yields the NEXUS_PG_* environment of a fresh cluster with one database and role."""
    root = Path(tempfile.mkdtemp(prefix="nexus-pg-"))
    root.chmod(0o755)
    data, password_file = root / "data", root / "password"
    password = secrets.token_hex(16)
    password_file.write_text(password)
    port = free_port()
    if os.geteuid() == 0:
        owner = pwd.getpwnam(SERVER_USER)
        for path in (root, password_file):
            os.chown(path, owner.pw_uid, owner.pw_gid)
    pg_ctl = _server_binary("pg_ctl")
    try:
        subprocess.run(
            _as_server_user(
                [_server_binary("initdb"), "-D", str(data), "-U", ROLE, "--pwfile",
                 str(password_file), "--auth=scram-sha-256", "-E", "UTF8", "--no-instructions"]
            ),
            check=True, capture_output=True,
        )  # fmt: skip
        options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c max_connections=200"
        subprocess.run(
            _as_server_user(
                [pg_ctl, "-D", str(data), "-o", options, "-l", str(root / "log"), "-w", "start"]
            ),
            check=True,
            capture_output=True,
        )
        environment = {
            "NEXUS_PG_HOST": "127.0.0.1",
            "NEXUS_PG_PORT": str(port),
            "NEXUS_PG_USER": ROLE,
            "NEXUS_PG_PASSWORD": password,
            "NEXUS_PG_DB": DATABASE,
        }
        create_database(environment, DATABASE)
        yield environment
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run(
                _as_server_user([pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"]),
                check=False,
                capture_output=True,
            )
        shutil.rmtree(root, ignore_errors=True)


def create_database(environment: dict[str, str], name: str) -> str:
    """A new, empty database in the cluster (one per deployment under test); returns its name."""
    import psycopg2

    connection = psycopg2.connect(
        host=environment["NEXUS_PG_HOST"],
        port=int(environment["NEXUS_PG_PORT"]),
        user=environment["NEXUS_PG_USER"],
        password=environment["NEXUS_PG_PASSWORD"],
        dbname="postgres",
    )
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"create database {name}")
    finally:
        connection.close()
    return name
