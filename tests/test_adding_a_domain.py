"""A domain is its own files: a declaration, a query, settings and a module with a hook, sensor
and resource, added to a copy of the project without touching anything else, load with the rest,
materialise through Dagster and are checked."""

from __future__ import annotations

import shutil
import textwrap
from datetime import date
from pathlib import Path

import dagster as dg
import pytest

from nexus_pipelines.definitions import build_definitions
from nexus_pipelines.project import DeclarationError, Project
from nexus_pipelines.settings import PROJECT_DIR
from nexus_pipelines.warehouse import Warehouse

SPRINTS = dg.AssetKey(["planning", "sprints"])

DECLARATION = """\
sql_assets:
  - name: sprints
    owner: Sprint Prioritizer
    cadence: biweekly
    partitions: none
    key: [sprint_start]
    non_negative: [days]
    hooks:
      sprints_last_the_setting: {}
    columns:
      sprint_start: First day (Monday) of the sprint.
      sprint_end: Last day of the sprint.
      days: Days the sprint lasts.
    description: >-
      One row per sprint of the first quarter's first six weeks: its first and last day.
"""

QUERY = """\
-- Grain: one row per sprint, $planning_sprint_days long, from the first Monday of 2026.
select
    sprint_start::date as sprint_start,
    (sprint_start + to_days($planning_sprint_days - 1))::date as sprint_end,
    $planning_sprint_days as days,
from generate_series(
    timestamp '2026-01-05', timestamp '2026-02-15', to_days($planning_sprint_days)
) as sprints (sprint_start)
"""

MODULE = '''\
"""The planning domain's Python: one check hook, one sensor, one resource."""

import dagster as dg

from nexus_pipelines.project import project
from nexus_pipelines.sql_assets import CheckHook
from nexus_pipelines.warehouse import count_value


def sprints_last_the_setting(connection, declaration, written, options):
    days = project(declaration.project_root).metric_settings["planning_sprint_days"]
    wrong = count_value(
        connection,
        f"select count(*) from {declaration.qualified_name} "
        "where sprint_end - sprint_start + 1 <> $days",
        {"days": days},
    )
    return dg.AssetCheckResult(
        check_name="sprints_last_the_setting", passed=wrong == 0, metadata={"wrong_sprints": wrong}
    )


HOOKS = {
    "sprints_last_the_setting": CheckHook(
        "Every sprint lasts planning_sprint_days.", sprints_last_the_setting
    )
}


def build_sensors(source):
    @dg.sensor(
        name="planning_sprint_sensor",
        description=source.described("Watches each {planning_sprint_days}-day sprint.", "sensor"),
        minimum_interval_seconds=3600,
    )
    def planning_sprint_sensor():
        return dg.SkipReason("no sprint has ended")

    return [planning_sprint_sensor]


def build_resources(source):
    return {"planning_board": dg.ResourceDefinition.hardcoded_resource("board")}
'''


def copy_of_the_project(root: Path) -> Path:
    for folder in ("assets", "sql", "nexus_pipelines/domains"):
        shutil.copytree(
            PROJECT_DIR / folder, root / folder, ignore=shutil.ignore_patterns("__pycache__")
        )
    return root


def add_planning_domain(root: Path, declaration: str = DECLARATION) -> None:
    files = {
        "assets/domains/planning/assets.yaml": declaration,
        "assets/domains/planning/settings.yaml": "settings:\n  planning_sprint_days: 14\n",
        "sql/planning/sprints.sql": QUERY,
        "nexus_pipelines/domains/planning.py": MODULE,
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(textwrap.dedent(text), encoding="utf-8")


def test_a_new_domain_loads_materialises_and_is_checked(tmp_path: Path) -> None:
    root = copy_of_the_project(tmp_path / "project")
    add_planning_domain(root)
    source = Project(root)
    defs = build_definitions(source)

    keys = defs.resolve_all_asset_keys()
    assert SPRINTS in keys
    assert set(build_definitions().resolve_all_asset_keys()) == set(keys) - {SPRINTS}
    assert "planning" in source.schemas
    sensors = {sensor.name: sensor for sensor in defs.sensors or []}
    # the temporary project's own setting (14 days, in no other tree) reaches its sensor
    assert sensors["planning_sprint_sensor"].description == "Watches each 14-day sprint."
    assert "planning_board" in defs.resources
    sprints = next(
        a for a in defs.assets if isinstance(a, dg.AssetsDefinition) and SPRINTS in a.keys
    )
    assert sprints.group_names_by_key[SPRINTS] == "planning"
    assert sprints.tags_by_key[SPRINTS]["cadence"] == "biweekly"

    warehouse = Warehouse(database=str(tmp_path / "w.duckdb"), schemas=source.schemas)
    result = dg.materialize([sprints], resources={"warehouse": warehouse})
    assert result.success
    checks = {check.check_name: check.passed for check in result.get_asset_check_evaluations()}
    assert checks == {
        "write_rules": True,
        "sprints_last_the_setting": True,
    }
    with warehouse.get_connection(read_only=True) as connection:
        rows = connection.execute("from planning.sprints order by sprint_start").fetchall()
    # 2026-01-05 + 14 days = 01-19, + 14 = 02-02; 02-16 is past the series' end (02-15)
    assert rows == [
        (date(2026, 1, 5), date(2026, 1, 18), 14),
        (date(2026, 1, 19), date(2026, 2, 1), 14),
        (date(2026, 2, 2), date(2026, 2, 15), 14),
    ]


def test_a_declaration_typo_names_the_file_the_entry_and_the_allowed_values(
    tmp_path: Path,
) -> None:
    root = copy_of_the_project(tmp_path / "project")
    add_planning_domain(root, DECLARATION.replace("cadence: biweekly", "cadence: dayly"))
    with pytest.raises(DeclarationError) as raised:
        build_definitions(Project(root))
    message = str(raised.value)
    assert str(root / "assets/domains/planning/assets.yaml") in message
    assert "sprints" in message and "cadence" in message
    for allowed in ("daily", "weekly", "biweekly", "monthly", "quarterly"):
        assert allowed in message


def test_a_hook_is_looked_up_in_its_own_domain_only(tmp_path: Path) -> None:
    """Growth offers `retention_pictures`; planning naming it is an error, not a borrowing."""
    root = copy_of_the_project(tmp_path / "project")
    add_planning_domain(
        root, DECLARATION.replace("sprints_last_the_setting: {}", "retention_pictures: {}")
    )
    with pytest.raises(ValueError, match="no hook named 'retention_pictures' in domain 'planning'"):
        build_definitions(Project(root))
