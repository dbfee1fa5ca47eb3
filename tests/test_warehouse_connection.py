"""An in-process run alone on the instance keeps the warehouse open from step to step; once
another run is in flight it closes the file after each use, so that run's steps can open it.
Seen from another process, as that run's step would see it."""

from __future__ import annotations

import subprocess
import sys

import dagster as dg

from nexus_pipelines.warehouse import Warehouse

OTHER_PROCESS_OPENS = (
    "import duckdb, sys\n"
    "try:\n"
    "    duckdb.connect(sys.argv[1], read_only=True).close()\n"
    "except duckdb.IOException:\n"
    "    sys.exit(3)\n"
)


def another_process_can_open(path: str) -> bool:
    done = subprocess.run(
        [sys.executable, "-c", OTHER_PROCESS_OPENS, path], capture_output=True, timeout=60
    )
    assert done.returncode in (0, 3), done.stderr
    return done.returncode == 0


def two_steps(seen: list[bool]) -> list[dg.AssetsDefinition]:
    @dg.asset
    def first(warehouse: Warehouse) -> None:
        with warehouse.get_connection() as connection:
            connection.execute("create or replace table main.first as select 1 as one")

    @dg.asset(deps=[first])
    def second(warehouse: Warehouse) -> None:
        # between the two steps' connections: what another run's step would find
        seen.append(another_process_can_open(str(warehouse.resolved_path())))
        with warehouse.get_connection() as connection:
            assert connection.execute("select one from main.first").fetchone() == (1,)

    return [first, second]


def run_two_steps(warehouse: Warehouse, instance: dg.DagsterInstance) -> list[bool]:
    seen: list[bool] = []
    result = dg.materialize(two_steps(seen), resources={"warehouse": warehouse}, instance=instance)
    assert result.success
    return seen


def test_a_run_alone_keeps_the_warehouse_open_between_steps(warehouse: Warehouse) -> None:
    with dg.instance_for_test() as instance:
        assert run_two_steps(warehouse, instance) == [False]
    # and closes it when the run ends
    assert another_process_can_open(str(warehouse.resolved_path()))


def test_with_another_run_in_flight_the_warehouse_is_closed_between_steps(
    warehouse: Warehouse,
) -> None:
    with dg.instance_for_test() as instance:
        instance.add_run(
            dg.DagsterRun(job_name="daily_cadence_job", status=dg.DagsterRunStatus.STARTED)
        )
        assert run_two_steps(warehouse, instance) == [True]
