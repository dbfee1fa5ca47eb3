"""Settings: a deployment's own company file, and bad values as one line, not a traceback."""

from __future__ import annotations

import subprocess
from datetime import date
from pathlib import Path

import pytest
from deployment import NEXUS, deployment

from nexus_pipelines.contract import load_contract
from nexus_pipelines.settings import Settings, SettingsError, load_settings, write_company_overrides
from nexus_pipelines.warehouse import Warehouse, data_range


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        (
            "NEXUS_REPORTING_TZ",
            "Mars/Base",
            "NEXUS_REPORTING_TZ: 'Mars/Base' is not an IANA timezone",
        ),
        ("NEXUS_DUCKDB_THREADS", "two", "NEXUS_DUCKDB_THREADS: 'two' is not a whole number"),
        ("NEXUS_DUCKDB_MEMORY_LIMIT", "lots", "NEXUS_DUCKDB_MEMORY_LIMIT: 'lots' is not a size"),
        ("NEXUS_EXECUTOR", "threads", "NEXUS_EXECUTOR: 'threads' is not one of"),
        ("NEXUS_FOUNDED_ON", "2024-13-01", "NEXUS_FOUNDED_ON: '2024-13-01' is not a YYYY-MM-DD"),
        (
            "NEXUS_LANDING_SETTLE_SECONDS",
            "-1",
            "NEXUS_LANDING_SETTLE_SECONDS: '-1' is not a number",
        ),
    ],
)
def test_a_bad_setting_is_one_line_naming_it_and_exit_2(
    tmp_path: Path, variable: str, value: str, message: str
) -> None:
    env = deployment(tmp_path, **{variable: value})
    for command in (["materialize"], ["scorecard"], ["ingest", env["NEXUS_LANDING_DIR"]]):
        done = subprocess.run(
            [NEXUS, *command], env=env, capture_output=True, text=True, check=False
        )
        assert done.returncode == 2, (command, done.stdout, done.stderr)
        errors = [
            line
            for line in done.stderr.splitlines()
            if "BetaWarning" not in line and "return fn" not in line
        ]
        assert errors == [errors[0]] and errors[0].startswith(f"nexus: {message}"), done.stderr


def test_the_deployments_company_file_overrides_the_projects(project_env: Settings) -> None:
    assert project_env.founded_on == date(2024, 1, 1)
    assert project_env.founded_on_source == "assets/company.yaml"
    written = write_company_overrides(project_env, founded_on=date(2017, 3, 1))
    assert written == project_env.duckdb_path.parent / "company.yaml"
    overridden = load_settings()
    assert overridden.founded_on == date(2017, 3, 1)
    assert overridden.founded_on_source == str(written)
    assert overridden.reporting_timezone == project_env.reporting_timezone  # untouched keys stay


def test_an_unknown_key_in_the_company_file_is_refused(project_env: Settings) -> None:
    project_env.company_overrides_path.write_text("founded_in: 2017-03-01\n")
    with pytest.raises(SettingsError, match=r"company.yaml: unknown settings \['founded_in'\]"):
        load_settings()


def test_the_environment_overrides_the_company_file(
    project_env: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_company_overrides(project_env, founded_on=date(2017, 3, 1))
    monkeypatch.setenv("NEXUS_FOUNDED_ON", "2016-01-01")
    settings = load_settings()
    assert (settings.founded_on, settings.founded_on_source) == (
        date(2016, 1, 1),
        "NEXUS_FOUNDED_ON",
    )


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        # 03:00Z on 1 January is 22:00 on 31 December in New York (UTC-5); 03:30Z on 9 March is
        # 23:30 on 8 March (UTC-4 after the clocks went forward); the 8 March row in between is
        # neither the first nor the last local day
        ("America/New_York", (date(2025, 12, 31), date(2026, 3, 8))),
        ("UTC", (date(2026, 1, 1), date(2026, 3, 9))),
    ],
)
def test_the_datas_days_are_local_days_of_the_reporting_timezone(
    project_env: Settings, monkeypatch: pytest.MonkeyPatch, zone: str, expected: tuple[date, date]
) -> None:
    monkeypatch.setenv("NEXUS_REPORTING_TZ", zone)
    users = load_contract()["users"]
    with Warehouse().get_connection() as connection:
        connection.execute(users.ddl())
        for user_id, signup_at in enumerate(
            ["2026-01-01 03:00:00+00", "2026-03-08 03:30:00+00", "2026-03-09 03:30:00+00"], 1
        ):
            connection.execute(
                "insert into raw.users (user_id, signup_at, acquisition_channel, segment, "
                "product_id) values ($id, $at::timestamptz, 'organic', 'smb', 'main')",
                {"id": user_id, "at": signup_at},
            )
        assert data_range(connection) == expected
