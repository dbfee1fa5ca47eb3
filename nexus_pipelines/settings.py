"""Deployment settings: assets/company.yaml, overridden by NEXUS_* environment variables."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

PROJECT_DIR = Path(__file__).resolve().parent.parent
ASSETS_DIR = PROJECT_DIR / "assets"
SQL_DIR = PROJECT_DIR / "sql"
_PARAMETER = re.compile(r"\$([a-z_][a-z0-9_]*)")


def load_yaml(path: Path) -> Any:
    """Parse one YAML file, naming the file in the error so a typo in assets/ is easy to find."""
    try:
        with path.open(encoding="utf-8") as handle:
            return yaml.safe_load(handle)
    except (OSError, yaml.YAMLError) as error:
        raise ValueError(f"{path}: cannot read settings: {error}") from error


@dataclass(frozen=True)
class Settings:
    duckdb_path: Path
    landing_dir: Path
    reporting_timezone: str
    founded_on: date
    currency: str
    fortnight_anchor: date
    future_tolerance: timedelta
    duckdb_memory_limit: str
    duckdb_threads: int

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.reporting_timezone)


def _path_from_env(name: str, default: Path) -> Path:
    value = os.environ.get(name)
    return Path(value).expanduser().resolve() if value else default


def load_settings() -> Settings:
    """Read settings afresh (tests change the environment between calls)."""
    company = load_yaml(ASSETS_DIR / "company.yaml")
    timezone = os.environ.get("NEXUS_REPORTING_TZ", company["reporting_timezone"])
    ZoneInfo(timezone)  # fail early on a misspelt timezone
    anchor = date.fromisoformat(company["fortnight_anchor"])
    if anchor.weekday() != 0:
        raise ValueError(f"assets/company.yaml: fortnight_anchor {anchor} is not a Monday")
    return Settings(
        duckdb_path=_path_from_env("NEXUS_DUCKDB_PATH", PROJECT_DIR / "data" / "warehouse.duckdb"),
        landing_dir=_path_from_env("NEXUS_LANDING_DIR", PROJECT_DIR / "data" / "landing"),
        reporting_timezone=timezone,
        founded_on=date.fromisoformat(company["founded_on"]),
        currency=company["currency"],
        fortnight_anchor=anchor,
        future_tolerance=timedelta(minutes=int(company["future_tolerance_minutes"])),
        duckdb_memory_limit=os.environ.get("NEXUS_DUCKDB_MEMORY_LIMIT", "4GB"),
        duckdb_threads=int(os.environ.get("NEXUS_DUCKDB_THREADS", str(os.cpu_count() or 2))),
    )


METRIC_SETTINGS_DIR = ASSETS_DIR / "metric_settings"


def metric_settings() -> dict[str, Any]:
    """The open choices of the metric definitions, from assets/metric_settings/*.yaml, by name."""
    merged: dict[str, Any] = {}
    for path in sorted(METRIC_SETTINGS_DIR.glob("*.yaml")):
        for name, value in (load_yaml(path).get("settings") or {}).items():
            if name in merged:
                raise ValueError(f"{path}: setting {name!r} is defined twice")
            merged[name] = value
    return merged


def query_parameters(sql: str, available: dict[str, Any], where: str) -> dict[str, Any]:
    """The values a query names ($name): DuckDB refuses unused named parameters.

    Every query may use the reporting timezone and the metric settings besides what its caller
    offers; a name found nowhere is an error that names the query."""
    offered = {"reporting_timezone": load_settings().reporting_timezone} | metric_settings()
    offered |= available
    wanted = set(_PARAMETER.findall(sql))
    unknown = wanted - offered.keys()
    if unknown:
        raise ValueError(f"{where}: unknown parameters {sorted(unknown)}")
    return {name: offered[name] for name in wanted}


@cache
def partitions_start() -> date:
    """The one start date shared by every time-partitioned asset (fixed at code load)."""
    return load_settings().founded_on
