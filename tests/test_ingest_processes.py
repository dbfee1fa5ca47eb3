"""Two ingests at once, as real `nexus ingest` processes on one warehouse: one runs at a time,
the other waits and says so, and every row is loaded exactly once."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from nexus_pipelines.settings import Settings

HEADER = "user_id,signup_at,acquisition_channel,referrer_user_id,plan,segment,country,product_id\n"


def users_csv(path: Path, first: int, count: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = "".join(
        f"{n},2024-03-01T09:30:00Z,organic,,free,smb,FR,p1\n" for n in range(first, first + count)
    )
    path.write_text(HEADER + rows, encoding="utf-8")
    return path


def nexus(*args: str | Path, **options) -> subprocess.Popen:
    """`nexus ...` in its own process, with this test's warehouse and landing folder."""
    return subprocess.Popen(
        [sys.executable, "-m", "nexus_pipelines.cli", *map(str, args)],
        env=dict(os.environ),
        text=True,
        **options,
    )


def test_two_concurrent_ingests_load_every_row_once(project_env: Settings) -> None:
    landing = project_env.landing_dir
    good = [users_csv(landing / "users" / f"{n}.csv", n * 10_000 + 1, 5_000) for n in range(4)]
    bad = landing / "users" / "bad.csv"
    bad.write_text("user_id,nickname\n1,z\n", encoding="utf-8")
    files = [*good, bad]
    first, second = (
        nexus("ingest", landing, *files, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(2)
    )
    outcomes = [(process, *process.communicate(timeout=300)) for process in (first, second)]
    for _, _, err in outcomes:
        assert "Traceback" not in err, err
    # One of them rejects bad.csv (exit 1); the other finds it already moved aside, which is no
    # rejection of its own, and every other file already loaded (exit 0).
    assert sorted(process.returncode for process, _, _ in outcomes) == [0, 1]
    [(_, later_out, _)] = [outcome for outcome in outcomes if outcome[0].returncode == 0]
    assert not [line for line in later_out.splitlines() if line.startswith("rejected")]
    assert "another ingest rejected it" in later_out
    with duckdb.connect(str(project_env.duckdb_path), read_only=True) as connection:
        assert connection.execute(
            "select count(*), count(distinct user_id) from raw.users"
        ).fetchone() == (20_000, 20_000)
        logged = connection.execute(
            "select file_path, status, rows_in, loaded from ingest.ingestion_log order by 1"
        ).fetchall()
    assert logged == [(f"users/{n}.csv", "loaded", 5_000, 5_000) for n in range(4)] + [
        ("users/bad.csv", "rejected", 0, 0)
    ]
    assert (landing / "_rejected" / "users" / "bad.csv").is_file()


def wait_for(path: Path, text: str, seconds: float) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = path.read_text() if path.exists() else ""
        if text in found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"{text!r} did not appear in {path}: {found!r}")


HOLD_LOCK = """
import sys
from nexus_pipelines.ingest import ingest_lock
from nexus_pipelines.settings import load_settings
with ingest_lock(load_settings()):
    print("held", flush=True)
    sys.stdin.read()
"""


def test_an_ingest_waits_for_the_one_holding_the_warehouse(
    project_env: Settings, tmp_path: Path
) -> None:
    path = users_csv(project_env.landing_dir / "users.csv", 1, 100)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK],
        env=dict(os.environ),
        text=True,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        err = tmp_path / "stderr.txt"
        with err.open("w") as stderr:
            waiting = nexus(
                "ingest", project_env.landing_dir, stdout=subprocess.PIPE, stderr=stderr
            )
            message = wait_for(err, "waiting for it to finish", 60)
            assert waiting.poll() is None
            [line] = message.splitlines()
            assert line.startswith("another ingest has held the warehouse since ")
            assert f"pid {holder.pid} " in line
        holder.communicate("", timeout=30)  # release the lock
        out, _ = waiting.communicate(timeout=120)
    finally:
        holder.kill()
    assert waiting.returncode == 0, out
    assert f"loaded   {path}: 100 in, 100 loaded" in out
