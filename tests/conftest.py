"""Shared fixtures: every test gets its own warehouse file, landing folder and settings."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from nexus_pipelines.settings import Settings, load_settings
from nexus_pipelines.warehouse import Warehouse


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The deployment test takes five minutes on its own: collected first, one worker starts it
    at once while the other takes the rest, instead of it running alone at the end."""
    items.sort(key=lambda item: item.path.name != "test_deploy.py")


def pytest_configure(config: pytest.Config) -> None:
    """Before any test module loads the code location: the suite never reads the developer's
    own deployment (data/warehouse.duckdb, and data/company.yaml that `make demo` writes)."""
    for name in [name for name in os.environ if name.startswith("NEXUS_")]:
        del os.environ[name]
    os.environ["NEXUS_DUCKDB_PATH"] = str(Path(tempfile.mkdtemp()) / "warehouse.duckdb")


@pytest.fixture
def project_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Point NEXUS_DUCKDB_PATH and NEXUS_LANDING_DIR at tmp_path; returns the settings."""
    monkeypatch.setenv("NEXUS_DUCKDB_PATH", str(tmp_path / "warehouse.duckdb"))
    monkeypatch.setenv("NEXUS_LANDING_DIR", str(tmp_path / "landing"))
    monkeypatch.setenv("NEXUS_DUCKDB_MEMORY_LIMIT", "1GB")
    monkeypatch.setenv("NEXUS_DUCKDB_THREADS", "2")
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    (tmp_path / "landing").mkdir()
    return load_settings()


@pytest.fixture
def warehouse(project_env: Settings) -> Warehouse:
    return Warehouse()
