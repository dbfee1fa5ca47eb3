"""The code location: it loads, and its shape is what the issues ask for (a visible diff when
the graph changes)."""

import subprocess
import sys
from datetime import timedelta

import dagster as dg
import yaml

from nexus_pipelines.contract import load_contract
from nexus_pipelines.definitions import defs
from nexus_pipelines.partitions import DAYS_BY_MONTH, MONTHLY, QUARTERLY, WEEKLY
from nexus_pipelines.settings import PROJECT_DIR

DERIVED_KEYS = {
    "growth/daily_active_users",
    "growth/signups_by_channel_daily",
    "reporting/scorecard",
    "reporting/daily_review",
    "reporting/weekly_review",
    "reporting/biweekly_review",
    "reporting/monthly_review",
    "reporting/quarterly_review",
}


def all_specs() -> list[dg.AssetSpec]:
    return [spec for assets in defs.assets for spec in assets.specs]


def test_dagster_validates_the_code_location() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "dagster", "definitions", "validate", "-w", "workspace.yaml"],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_asset_graph_has_every_raw_table_and_the_foundation_assets() -> None:
    keys = {spec.key.to_user_string() for spec in all_specs()}
    assert {key for key in keys if key.startswith("raw/")} == {
        f"raw/{name}" for name in load_contract()
    }
    assert keys >= DERIVED_KEYS


def test_every_asset_is_described_owned_grouped_and_pooled() -> None:
    for assets in defs.assets:
        for spec in assets.specs:
            assert spec.description, spec.key
            assert spec.owners and all(o.startswith("team:") for o in spec.owners), spec.key
            assert spec.group_name == spec.key.path[0], spec.key
            assert spec.key.path[0] == "raw" or spec.tags.get("cadence"), spec.key
        assert {op.pool for op in assets.node_def.iterate_op_defs()} == {"duckdb"}


def test_every_asset_is_due_by_its_cadence() -> None:
    """A freshness policy on every asset, so a late one shows as stale in the UI; the daily
    cadence (06:00 UTC) is due two hours later, materialised since midnight."""
    assert [spec.key for spec in all_specs() if spec.freshness_policy is None] == []
    [daily] = [s for s in all_specs() if s.key == dg.AssetKey(["growth", "daily_active_users"])]
    assert daily.freshness_policy == dg.FreshnessPolicy.cron(
        deadline_cron="0 8 * * *", lower_bound_delta=timedelta(hours=8), timezone="UTC"
    )


def kinds(assets: dg.AssetsDefinition) -> set[str]:
    return set(assets.specs_by_key[assets.key].kinds)


def test_every_time_partitioned_asset_shares_one_start_and_backfills_in_one_run() -> None:
    partitioned = [a for a in defs.assets if a.partitions_def is not None]
    assert partitioned
    for assets in partitioned:
        # reports may be of a week or a quarter; tables are of days or months
        allowed = (
            (DAYS_BY_MONTH, WEEKLY, MONTHLY, QUARTERLY)
            if "report" in kinds(assets)
            else (
                DAYS_BY_MONTH,
                MONTHLY,
            )
        )
        assert assets.partitions_def in allowed
        assert assets.backfill_policy == dg.BackfillPolicy.single_run()
    # the company was founded on Monday 1 January 2024: every grain starts there
    starts = {p.start.date().isoformat() for p in (DAYS_BY_MONTH, WEEKLY, MONTHLY, QUARTERLY)}
    assert starts == {"2024-01-01"}
    # Tables of daily rows have the running month as a partition; monthly ones only past months.
    assert (DAYS_BY_MONTH.end_offset, MONTHLY.end_offset) == (1, 0)


def test_schedules_and_sensors_run_by_default() -> None:
    repository = defs.get_repository_def()
    schedules = {s.name: s.cron_schedule for s in repository.schedule_defs}
    assert schedules == {
        "daily_cadence_schedule": "0 6 * * *",
        "weekly_cadence_schedule": "0 7 * * 1",
        "biweekly_cadence_schedule": "0 7 * * 1",
        "monthly_cadence_schedule": "0 8 1 * *",
        "quarterly_cadence_schedule": "0 9 1 1,4,7,10 *",
        # before the monthly cadence, so that month's metrics read the purged warehouse
        "retention_purge_schedule": "0 4 1 * *",
    }
    assert all(
        s.default_status == dg.DefaultScheduleStatus.RUNNING for s in repository.schedule_defs
    )
    assert {"landing_folder_sensor", "run_health_sensor"} <= {
        s.name for s in repository.sensor_defs
    }
    assert all(s.default_status == dg.DefaultSensorStatus.RUNNING for s in repository.sensor_defs)


def test_jobs_are_one_per_cadence_and_one_rebuild_per_partitioning() -> None:
    """The schedules (and an analyst in the UI) run a cadence's job; `nexus materialize` runs
    the rebuild of each partitioning, which holds every unpartitioned asset too. Erasure and
    the retention purge are jobs of their own (an operator's, and the monthly schedule's)."""
    repository = defs.get_repository_def()
    cadences = ["daily", "weekly", "biweekly", "monthly", "quarterly"]
    jobs = {job.name for job in repository.get_all_jobs() if not job.name.startswith("__")}
    assert jobs == {f"{c}_cadence_job" for c in cadences} | {
        "rebuild_days_by_month",
        "rebuild_weekly",
        "rebuild_monthly",
        "rebuild_quarterly",
        "erasure",
        "retention_purge",
    }
    assert {s.name: s.job_name for s in repository.schedule_defs} == {
        f"{c}_cadence_schedule": f"{c}_cadence_job" for c in cadences
    } | {"retention_purge_schedule": "retention_purge"}
    unpartitioned = {key for a in defs.assets if a.partitions_def is None for key in a.keys}
    for partitions, name in ((DAYS_BY_MONTH, "days_by_month"), (MONTHLY, "monthly")):
        own = {key for a in defs.assets if a.partitions_def == partitions for key in a.keys}
        job = repository.get_job(f"rebuild_{name}")
        assert set(job.asset_layer.executable_asset_keys) == own | unpartitioned, name


def test_project_instance_limits_the_duckdb_pool_to_one() -> None:
    overrides = yaml.safe_load((PROJECT_DIR / "dagster-instance.yaml").read_text())
    with dg.instance_for_test(overrides=overrides) as instance:
        pools = instance.get_concurrency_config().pool_config
        assert pools.default_pool_limit == 1
        assert pools.pool_granularity.value == "op"


def test_project_instance_frees_the_slots_of_dead_and_finished_runs() -> None:
    overrides = yaml.safe_load((PROJECT_DIR / "dagster-instance.yaml").read_text())
    with dg.instance_for_test(overrides=overrides) as instance:
        monitoring = instance.run_monitoring_settings
    assert monitoring["enabled"] is True
    assert monitoring["free_slots_after_run_end_seconds"] == 30
    assert monitoring["start_timeout_seconds"] > 0 and monitoring["cancel_timeout_seconds"] > 0
