"""What the code location is made of, found on disk instead of listed in code.

A domain is a folder's worth of files: its declarations in `assets/domains/<domain>/` (`assets.yaml`
for SQL assets, `reports.yaml` for reports, `settings.yaml` for the open choices of its metric
definitions), its queries in `sql/<domain>/` (`_macros.sql` for the DuckDB macros they share) and,
when SQL is not enough, its Python in `nexus_pipelines/domains/<domain>.py`. The domain's name is
its schema in DuckDB, its group in Dagster and its name in the raw contract. Nothing else lists it.

Everything here is read once per process (per project root) and passed down.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path
from types import ModuleType
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError

from nexus_pipelines.contract import validate_identifier
from nexus_pipelines.settings import PROJECT_DIR, load_settings, load_yaml

_PARAMETER = re.compile(r"\$([a-z_][a-z0-9_]*)")
MACROS_FILE = "_macros.sql"


class DeclarationError(ValueError):
    """A declaration that does not fit its schema: names the file, the entry and the field."""


def _identifier(value: str) -> str:
    return validate_identifier(value, "name")


# A name that becomes SQL (a table, a column): validated, never quoted into a query blindly.
Identifier = Annotated[str, AfterValidator(_identifier)]


def _described(value: str) -> str:
    if not value.strip():
        raise ValueError("the description is empty")
    return value


# What a column means, shown beside it in the UI's column schema: never blank.
Description = Annotated[str, AfterValidator(_described)]


def require_descriptions(
    columns: Mapping[str, str], named: Mapping[str, Iterable[str | None]]
) -> None:
    """Refuse a declaration that names a column (in `named`: its key, its checked columns...)
    without saying what it means in `columns`: every column an analyst is pointed at is
    described. The columns a query returns besides are checked against the table once it is
    written (tests/test_columns_and_freshness.py)."""
    missing: dict[str, list[str]] = {}
    for field_name, names in named.items():
        for name in names:
            if name and name not in columns:
                missing.setdefault(name, []).append(field_name)
    if missing:
        listed = ", ".join(f"{name} (in {', '.join(fields)})" for name, fields in missing.items())
        raise ValueError(f"columns: no description of {listed}")


class Declaration(BaseModel):
    """The base of every declaration schema: unknown fields are typos, and refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)


Model = TypeVar("Model", bound=Declaration)


@dataclass(frozen=True)
class Domain:
    name: str
    declarations_dir: Path
    sql_dir: Path
    module: ModuleType | None = field(default=None, compare=False)

    def declarations(self, kind: str) -> list[dict[str, Any]]:
        """The entries of `<kind>.yaml` (`sql_assets:` in assets.yaml, `reports:` in
        reports.yaml); none when the domain has no such file."""
        path = self.declarations_dir / f"{kind}.yaml"
        if not path.is_file():
            return []
        document = load_yaml(path) or {}
        section = "sql_assets" if kind == "assets" else kind
        entries = document.get(section) or []
        if not isinstance(entries, list):
            raise ValueError(f"{path}: `{section}:` must be a list of entries")
        return entries

    def validated(self, kind: str, model: type[Model]) -> list[Model]:
        """The entries of `<kind>.yaml`, each checked against its schema."""
        path = self.declarations_path(kind)
        found = []
        for index, raw in enumerate(self.declarations(kind)):
            entry = raw.get("name") if isinstance(raw, dict) else None
            try:
                found.append(model.model_validate(raw))
            except ValidationError as error:
                problems = "; ".join(
                    f"{'.'.join(str(part) for part in problem['loc']) or 'entry'}: {problem['msg']}"
                    for problem in error.errors()
                )
                raise DeclarationError(
                    f"{path}: entry {entry or f'#{index + 1}'!r}: {problems}"
                ) from None
        return found

    def declarations_path(self, kind: str) -> Path:
        return self.declarations_dir / f"{kind}.yaml"

    def hook(self, name: str) -> Any:
        """A hook the domain's own module provides: hooks never cross domains."""
        hooks = getattr(self.module, "HOOKS", {}) if self.module else {}
        if name not in hooks:
            raise ValueError(
                f"{self.declarations_dir}: no hook named {name!r} in domain {self.name!r} "
                f"(its module offers {sorted(hooks) or 'none'})"
            )
        return hooks[name]

    @property
    def macros_sql(self) -> str | None:
        path = self.sql_dir / MACROS_FILE
        return path.read_text(encoding="utf-8") if path.is_file() else None


def _load_module(root: Path, name: str) -> ModuleType | None:
    """The domain's Python: imported by its package name in this project, loaded from its file
    in another tree (a test's temporary project)."""
    if root == PROJECT_DIR:
        qualified = f"nexus_pipelines.domains.{name}"
        if importlib.util.find_spec(qualified) is None:
            return None
        return importlib.import_module(qualified)
    path = root / "nexus_pipelines" / "domains" / f"{name}.py"
    if not path.is_file():
        return None
    qualified = f"nexus_project_{abs(hash(root))}_{name}"
    spec = importlib.util.spec_from_file_location(qualified, path)
    if spec is None or spec.loader is None:
        raise ValueError(f"{path}: cannot load the domain's module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[qualified] = module
    spec.loader.exec_module(module)
    return module


class Project:
    """A project tree: the domains it holds, their settings and queries."""

    def __init__(self, root: Path = PROJECT_DIR) -> None:
        self.root = root
        self.assets_dir = root / "assets"
        self.sql_dir = root / "sql"
        self.domains_dir = self.assets_dir / "domains"

    @cached_property
    def domains(self) -> dict[str, Domain]:
        names = sorted(
            {
                path.name
                for folder in (self.domains_dir, self.sql_dir)
                if folder.is_dir()
                for path in folder.iterdir()
                if path.is_dir() and not path.name.startswith((".", "_"))
            }
        )
        return {
            name: Domain(
                name=validate_identifier(name, str(self.domains_dir / name)),
                declarations_dir=self.domains_dir / name,
                sql_dir=self.sql_dir / name,
                module=_load_module(self.root, name),
            )
            for name in names
        }

    @property
    def schemas(self) -> list[str]:
        return list(self.domains)

    @cached_property
    def metric_settings(self) -> dict[str, Any]:
        """The open choices of the metric definitions, from each domain's settings.yaml."""
        merged: dict[str, Any] = {}
        for domain in self.domains.values():
            path = domain.declarations_path("settings")
            if not path.is_file():
                continue
            for name, value in ((load_yaml(path) or {}).get("settings") or {}).items():
                if name in merged:
                    raise ValueError(f"{path}: setting {name!r} is defined twice")
                merged[name] = value
        return merged

    def described(self, text: str, where: str, fields: Mapping[str, Any] | None = None) -> str:
        """A description with the settings it quotes filled in (`{support_first_response_hours}`),
        so the text the analyst reads changes with the setting; `fields` adds names of its own
        (a report's `{cadence_name}`)."""
        try:
            return " ".join(text.format_map({**self.metric_settings, **(fields or {})}).split())
        except (KeyError, ValueError, IndexError) as error:
            raise DeclarationError(f"{where}: description: no setting {error}") from None

    def query_parameters(
        self,
        sql: str,
        available: Mapping[str, Any],
        where: str,
        reporting_timezone: str | None = None,
    ) -> dict[str, Any]:
        """The values a query names ($name): DuckDB refuses unused named parameters.

        Every query may use the reporting timezone (the one its window was cut in, the
        settings' by default) and the metric settings besides what its caller offers; a name
        found nowhere is an error that names the query."""
        timezone = reporting_timezone or load_settings().reporting_timezone
        offered = {"reporting_timezone": timezone, **self.metric_settings, **available}
        wanted = set(_PARAMETER.findall(sql))
        unknown = wanted - offered.keys()
        if unknown:
            raise ValueError(f"{where}: unknown parameters {sorted(unknown)}")
        return {name: offered[name] for name in wanted}


def project(root: Path = PROJECT_DIR) -> Project:
    """The project at `root`, read once per process (one instance however the root is spelt)."""
    return _project_at(Path(root).resolve())


@cache
def _project_at(root: Path) -> Project:
    return Project(root)
