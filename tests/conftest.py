"""Shared fixtures: every test gets its own warehouse file, landing folder and settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from nexus_pipelines.settings import Settings, load_settings
from nexus_pipelines.warehouse import Warehouse


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
