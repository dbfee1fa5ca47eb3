"""`python -m nexus_pipelines.daemon run ...`: Dagster's daemon, with new backfills taken up within
seconds.

Dagster 1.13's backfill daemon looks for new backfills every 30 s: its loop reads the constant
`DEFAULT_DAEMON_INTERVAL_SECONDS` when it starts, and no instance setting changes it. A
backfill launched from the UI therefore waited up to 30 s before its run was even submitted
(docs/benchmarks.md). This sets that one constant and hands over to Dagster's own daemon command
line, unchanged otherwise; `nexus ui` (make ui) and `nexus deploy` start the daemon this way. The
constant's only other reader, the automation daemon, has its interval set in
dagster-instance.yaml, so it keeps Dagster's 30 s.
"""

from __future__ import annotations

from dagster._daemon import controller
from dagster._daemon.cli import main as dagster_daemon

# Each pass over requested backfills reads the instance's backfill table: a few milliseconds.
BACKFILL_POLL_SECONDS = 2


def main() -> None:
    controller.DEFAULT_DAEMON_INTERVAL_SECONDS = BACKFILL_POLL_SECONDS
    dagster_daemon()


if __name__ == "__main__":
    main()
