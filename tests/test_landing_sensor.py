"""The landing-folder sensor, ticked against a real Dagster instance, and the run it requests."""

import os
import shutil
import time

import dagster as dg
import pytest

from nexus_pipelines.definitions import defs
from nexus_pipelines.raw_assets import INGEST_OP
from nexus_pipelines.runner import ingest_landing
from nexus_pipelines.settings import Settings
from nexus_pipelines.warehouse import Warehouse

USERS_CSV = (
    "user_id,signup_at,acquisition_channel,referrer_user_id,plan,segment,country,product_id\n"
    "1,2025-03-01T10:00:00Z,organic,,free,self_serve,DE,core\n"
    "2,2025-03-01T11:00:00Z,referral,1,pro,smb,FR,core\n"
)
PRODUCTS_CSV = "product_id,name,launched_on,status\ncore,Core,2025-03-01,active\n"
USERS = dg.AssetKey(["raw", "users"])
PRODUCTS = dg.AssetKey(["raw", "products"])


@pytest.fixture
def sensor() -> dg.SensorDefinition:
    return defs.get_repository_def().get_sensor_def("landing_folder_sensor")


@pytest.fixture(autouse=True)
def no_settle_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEXUS_LANDING_SETTLE_SECONDS", "0")


def tick(sensor: dg.SensorDefinition, instance: dg.DagsterInstance, cursor: str | None):
    context = dg.build_sensor_context(
        instance=instance, cursor=cursor, repository_def=defs.get_repository_def()
    )
    result = sensor.evaluate_tick(context)
    return result.run_requests or [], result.cursor


def files_of(request: dg.RunRequest) -> list[str]:
    return request.run_config["ops"][INGEST_OP]["config"]["files"]


def launch(instance: dg.DagsterInstance, request: dg.RunRequest) -> None:
    """The requested run, as the daemon would launch it."""
    result = defs.resolve_implicit_global_asset_job_def().execute_in_process(
        instance=instance, asset_selection=request.asset_selection, run_config=request.run_config
    )
    assert result.success


def test_one_run_for_the_tables_with_new_files_and_none_for_files_already_loaded(
    project_env: Settings, sensor: dg.SensorDefinition, warehouse: Warehouse
) -> None:
    """Two tables' files: one run for those two. Once loaded, neither a tick with the cursor nor
    a start with none (the UI started again) requests anything, nor does a file touched with
    the same bytes; a changed file of one table is a run of that table alone."""
    landing = project_env.landing_dir
    (landing / "users.csv").write_text(USERS_CSV)
    (landing / "products.csv").write_text(PRODUCTS_CSV)
    with dg.instance_for_test() as instance:
        (request,), cursor = tick(sensor, instance, None)
        assert request.asset_selection == [PRODUCTS, USERS]
        assert files_of(request) == [str(landing / "products.csv"), str(landing / "users.csv")]
        launch(instance, request)

        assert tick(sensor, instance, cursor)[0] == []
        restarted, fresh_cursor = tick(sensor, instance, None)
        assert restarted == []
        later = time.time() + 5
        os.utime(landing / "users.csv", (later, later))
        assert tick(sensor, instance, fresh_cursor)[0] == []

        (landing / "users.csv").write_text(
            USERS_CSV + "3,2025-03-02T09:00:00Z,organic,,free,smb,DE,core\n"
        )
        (changed,), cursor = tick(sensor, instance, cursor)
        assert changed.asset_selection == [USERS]
        assert files_of(changed) == [str(landing / "users.csv")]
        launch(instance, changed)
        assert tick(sensor, instance, cursor)[0] == []
    with warehouse.get_connection(read_only=True) as connection:
        assert connection.execute("select count(*) from raw.users").fetchone() == (3,)


def test_a_start_after_the_command_line_loaded_the_files_requests_nothing(
    project_env: Settings, sensor: dg.SensorDefinition
) -> None:
    """`nexus demo` / `nexus ingest` load the folder outside any run; the UI's first tick after
    finds nothing new, and a new file then is a run of its table alone."""
    landing = project_env.landing_dir
    (landing / "users.csv").write_text(USERS_CSV)
    (landing / "products.csv").write_text(PRODUCTS_CSV)
    with dg.instance_for_test() as instance:
        ingest_landing(landing, instance=instance)
        requests, cursor = tick(sensor, instance, None)
        assert requests == []
        (landing / "products").mkdir()
        (landing / "products" / "more.csv").write_text(PRODUCTS_CSV.replace("core,Core", "ops,Ops"))
        (request,), _ = tick(sensor, instance, cursor)
        assert request.asset_selection == [PRODUCTS]
        assert files_of(request) == [str(landing / "products" / "more.csv")]


def test_new_file_requests_one_run_keyed_by_content_and_then_nothing(
    project_env: Settings, sensor: dg.SensorDefinition
) -> None:
    landing = project_env.landing_dir
    (landing / "users.csv").write_text(USERS_CSV)
    with dg.instance_for_test() as instance:
        requests, cursor = tick(sensor, instance, None)
        assert len(requests) == 1
        request = requests[0]
        assert request.run_key and request.run_key.startswith("ingest-")
        assert request.asset_selection == [dg.AssetKey(["raw", "users"])]
        files = request.run_config["ops"][INGEST_OP]["config"]["files"]
        assert files == [str(landing / "users.csv")]

        again, cursor = tick(sensor, instance, cursor)
        assert again == []

        # The same bytes under another name get the same run key, which Dagster runs only once.
        (landing / "users").mkdir()
        shutil.copy(landing / "users.csv", landing / "users" / "copy.csv")
        copied, cursor = tick(sensor, instance, cursor)
        assert [r.run_key for r in copied] == [request.run_key]

        # Changed content is a new run.
        (landing / "users.csv").write_text(USERS_CSV.replace("DE", "AT"))
        changed, _ = tick(sensor, instance, cursor)
        assert len(changed) == 1 and changed[0].run_key != request.run_key
    assert not project_env.duckdb_path.exists(), "the sensor must never open the warehouse"


def test_a_file_still_being_written_waits(
    project_env: Settings, sensor: dg.SensorDefinition, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEXUS_LANDING_SETTLE_SECONDS", "60")
    path = project_env.landing_dir / "users.csv"
    path.write_text(USERS_CSV)
    with dg.instance_for_test() as instance:
        assert tick(sensor, instance, None)[0] == []
        old = time.time() - 120
        os.utime(path, (old, old))
        assert len(tick(sensor, instance, None)[0]) == 1


def test_files_for_no_contract_table_are_not_requested(
    project_env: Settings, sensor: dg.SensorDefinition
) -> None:
    (project_env.landing_dir / "not_a_table.csv").write_text("a,b\n1,2\n")
    with dg.instance_for_test() as instance:
        assert tick(sensor, instance, None)[0] == []


def test_the_requested_run_loads_the_file(
    project_env: Settings, sensor: dg.SensorDefinition, warehouse: Warehouse
) -> None:
    (project_env.landing_dir / "users.csv").write_text(USERS_CSV)
    with dg.instance_for_test() as instance:
        (request,), _ = tick(sensor, instance, None)
        job = defs.resolve_implicit_global_asset_job_def()
        result = job.execute_in_process(
            instance=instance,
            asset_selection=request.asset_selection,
            run_config=request.run_config,
        )
        assert result.success
        materialized = result.asset_materializations_for_node(INGEST_OP)
        assert [m.asset_key for m in materialized] == [dg.AssetKey(["raw", "users"])]
        assert materialized[0].metadata["dagster/row_count"].value == 2
        assert materialized[0].metadata["rows_quarantined"].value == 0

        # The same request again: nothing new, yet the table is there for its dependants, with
        # the same data version (the same files), and the check says so rather than staying unrun.
        again = job.execute_in_process(
            instance=instance,
            asset_selection=request.asset_selection,
            run_config=request.run_config,
        )
        (unchanged,) = again.asset_materializations_for_node(INGEST_OP)
        assert unchanged.metadata["note"].value.startswith("no new file")
        assert unchanged.metadata["dagster/row_count"].value == 2
        assert (
            unchanged.tags["dagster/data_version"] == materialized[0].tags["dagster/data_version"]
        )
        (check,) = again.get_asset_check_evaluations()
        assert check.passed and check.metadata["note"].value.startswith("no new file")
    with warehouse.get_connection(read_only=True) as connection:
        assert connection.execute("select count(*) from raw.users").fetchone() == (2,)
