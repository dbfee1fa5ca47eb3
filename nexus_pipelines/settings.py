"""Deployment settings: assets/company.yaml, overridden by NEXUS_* environment variables."""

from __future__ import annotations

import copy
import os
import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

PROJECT_DIR = Path(__file__).resolve().parent.parent
ASSETS_DIR = PROJECT_DIR / "assets"
SQL_DIR = PROJECT_DIR / "sql"


def load_yaml(path: Path) -> Any:
    """Parse one YAML file, naming the file in the error so a typo in assets/ is easy to find.

    Parsed once per version of the file: settings are read wherever they are needed, and the
    file is only read again when it changes (a deployment's overrides, a test's edit)."""
    try:
        stat = path.stat()
    except OSError as error:
        raise ValueError(f"{path}: cannot read settings: {error}") from error
    return copy.deepcopy(_parsed_yaml(path, stat.st_mtime_ns, stat.st_size))


@lru_cache(maxsize=256)
def _parsed_yaml(path: Path, mtime_ns: int, size: int) -> Any:
    try:
        with path.open(encoding="utf-8") as handle:
            # libyaml's parser when PyYAML has it (its wheels do): a tenth of the pure-Python
            # parser's time, which every process loading the code location pays
            return yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except (OSError, yaml.YAMLError) as error:
        raise ValueError(f"{path}: cannot read settings: {error}") from error


class SettingsError(ValueError):
    """A setting with a value it cannot take: the message names the setting and the form it
    wants, so the CLI can print one line instead of a traceback."""


EXECUTORS = ("in_process", "multiprocess")
_MEMORY = re.compile(r"^\d+(\.\d+)?\s*([KMGT]i?B|B)$", re.IGNORECASE)
# The deployment's own company settings, beside its warehouse, override assets/company.yaml key
# by key: `nexus demo` writes its founding date there, a company can write its own.
COMPANY_OVERRIDES = "company.yaml"


@dataclass(frozen=True)
class Settings:
    duckdb_path: Path
    landing_dir: Path
    reporting_timezone: str
    founded_on: date
    founded_on_source: str  # where founded_on came from, for error messages that say what to change
    currency: str
    fortnight_anchor: date
    future_tolerance: timedelta
    duckdb_memory_limit: str
    duckdb_threads: int
    executor: str
    landing_settle_seconds: float

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.reporting_timezone)

    @property
    def company_overrides_path(self) -> Path:
        return self.duckdb_path.parent / COMPANY_OVERRIDES


def _path_from_env(name: str, default: Path) -> Path:
    value = os.environ.get(name)
    return Path(value).expanduser().resolve() if value else default


def _timezone(value: str, where: str) -> str:
    try:
        ZoneInfo(value)
    except (ValueError, KeyError) as error:  # ZoneInfoNotFoundError is a KeyError
        raise SettingsError(
            f"{where}: {value!r} is not an IANA timezone name (for example UTC or Europe/Berlin)"
        ) from error
    return value


def _date_setting(value: Any, where: str) -> date:
    try:
        return value if isinstance(value, date) else date.fromisoformat(str(value))
    except ValueError as error:
        raise SettingsError(f"{where}: {value!r} is not a YYYY-MM-DD date") from error


def _number(name: str, default: str, kind: type[int] | type[float], minimum: float) -> Any:
    value = os.environ.get(name, default)
    try:
        number = kind(value)
    except ValueError:
        number = None
    if number is None or number < minimum:
        form = "a whole number" if kind is int else "a number"
        raise SettingsError(f"{name}: {value!r} is not {form} of at least {minimum:g}")
    return number


def _choice(name: str, default: str, allowed: tuple[str, ...]) -> str:
    value = os.environ.get(name, default)
    if value not in allowed:
        raise SettingsError(f"{name}: {value!r} is not one of {', '.join(allowed)}")
    return value


def _memory_limit() -> str:
    value = os.environ.get("NEXUS_DUCKDB_MEMORY_LIMIT", "4GB")
    if not _MEMORY.match(value):
        raise SettingsError(
            f"NEXUS_DUCKDB_MEMORY_LIMIT: {value!r} is not a size such as 4GB, 512MB or 2GiB"
        )
    return value


def _company(duckdb_path: Path) -> tuple[dict[str, Any], dict[str, str]]:
    """assets/company.yaml with the deployment's overrides, and where each value came from."""
    base_path = ASSETS_DIR / "company.yaml"
    company = load_yaml(base_path)
    source = dict.fromkeys(company, str(base_path.relative_to(PROJECT_DIR)))
    overrides_path = duckdb_path.parent / COMPANY_OVERRIDES
    if overrides_path.exists():
        overrides = load_yaml(overrides_path) or {}
        unknown = set(overrides) - set(company)
        if unknown:
            raise SettingsError(
                f"{overrides_path}: unknown settings {sorted(unknown)}; "
                f"the settings are those of {base_path.relative_to(PROJECT_DIR)}"
            )
        company |= overrides
        source |= dict.fromkeys(overrides, str(overrides_path))
    if os.environ.get("NEXUS_FOUNDED_ON"):
        company["founded_on"] = os.environ["NEXUS_FOUNDED_ON"]
        source["founded_on"] = "NEXUS_FOUNDED_ON"
    if os.environ.get("NEXUS_REPORTING_TZ"):
        company["reporting_timezone"] = os.environ["NEXUS_REPORTING_TZ"]
        source["reporting_timezone"] = "NEXUS_REPORTING_TZ"
    return company, source


def _where(name: str, source: dict[str, str]) -> str:
    """How an error names a company setting: the variable that set it, or the key in its file."""
    return source[name] if source[name].startswith("NEXUS_") else f"{name} in {source[name]}"


def load_settings() -> Settings:
    """Read settings afresh (tests change the environment between calls)."""
    duckdb_path = _path_from_env("NEXUS_DUCKDB_PATH", PROJECT_DIR / "data" / "warehouse.duckdb")
    company, source = _company(duckdb_path)
    anchor = _date_setting(company["fortnight_anchor"], _where("fortnight_anchor", source))
    if anchor.weekday() != 0:
        raise SettingsError(f"{_where('fortnight_anchor', source)}: {anchor} is not a Monday")
    return Settings(
        duckdb_path=duckdb_path,
        landing_dir=_path_from_env("NEXUS_LANDING_DIR", PROJECT_DIR / "data" / "landing"),
        reporting_timezone=_timezone(
            str(company["reporting_timezone"]),
            _where("reporting_timezone", source),
        ),
        founded_on=_date_setting(company["founded_on"], _where("founded_on", source)),
        founded_on_source=source["founded_on"],
        currency=company["currency"],
        fortnight_anchor=anchor,
        future_tolerance=timedelta(minutes=int(company["future_tolerance_minutes"])),
        duckdb_memory_limit=_memory_limit(),
        duckdb_threads=_number("NEXUS_DUCKDB_THREADS", str(os.cpu_count() or 2), int, 1),
        executor=_choice("NEXUS_EXECUTOR", "in_process", EXECUTORS),
        landing_settle_seconds=_number("NEXUS_LANDING_SETTLE_SECONDS", "10", float, 0),
    )


def write_company_overrides(settings: Settings, **values: Any) -> Path:
    """Record this deployment's own company settings beside its warehouse."""
    path = settings.company_overrides_path
    path.parent.mkdir(parents=True, exist_ok=True)
    current = (load_yaml(path) or {}) if path.exists() else {}
    current |= {
        name: value.isoformat() if isinstance(value, date) else value
        for name, value in values.items()
    }
    path.write_text(
        "# This deployment's overrides of assets/company.yaml (written by nexus).\n"
        + yaml.safe_dump(current, sort_keys=True),
        encoding="utf-8",
    )
    return path
