"""The raw data contract (assets/raw_contract.yaml) as typed objects, DDL and reference docs."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from nexus_pipelines.settings import ASSETS_DIR, PROJECT_DIR, load_yaml

CONTRACT_PATH = ASSETS_DIR / "raw_contract.yaml"
REFERENCE_PATH = PROJECT_DIR / "docs" / "raw-data-contract.md"
RAW_SCHEMA = "raw"

# Decimals of a MONEY value: more would be rounded away, so ingestion quarantines them.
MONEY_SCALE = 2
# Contract type -> DuckDB type. MONEY is exact: metrics must never sum floats of currency.
DUCKDB_TYPES = {
    "BIGINT": "BIGINT",
    "INTEGER": "INTEGER",
    "DOUBLE": "DOUBLE",
    "BOOLEAN": "BOOLEAN",
    "VARCHAR": "VARCHAR",
    "DATE": "DATE",
    "TIMESTAMPTZ": "TIMESTAMPTZ",
    "MONEY": f"DECIMAL(18,{MONEY_SCALE})",
}
TEMPORAL_TYPES = {"DATE", "TIMESTAMPTZ"}
NUMERIC_TYPES = {"BIGINT", "INTEGER", "DOUBLE", "MONEY"}
_COLUMN_FIELDS = {
    *("name", "type", "nullable", "meaning", "min", "max", "allowed", "future_ok", "default"),
    "identifies_user",
}
# How a column names a person (GDPR Art. 17): the row of an `owner` column's user is that user's
# data and is deleted on erasure; a `mention` (nullable) is emptied, the row belonging to another.
IDENTIFIES_USER = ("owner", "mention")
DERIVED_KEY_TYPES = {"BIGINT", "VARCHAR"}
_IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


def validate_identifier(name: str, where: str) -> str:
    """Identifiers from configuration end up in SQL text, so only plain snake_case is allowed."""
    if not isinstance(name, str) or not _IDENTIFIER.match(name):
        raise ValueError(f"{where}: {name!r} is not a valid identifier (snake_case, a-z first)")
    return name


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    nullable: bool
    meaning: str
    minimum: float | None = None
    maximum: float | None = None
    allowed: tuple[str, ...] | None = None
    future_ok: bool = False
    # An optional column may be left out of a file; left out or empty, it takes `default`
    # (None: empty), or for a key with `derived_from`, a hash of those columns' values.
    optional: bool = False
    default: str | None = None
    derived_from: tuple[str, ...] = ()
    identifies_user: str | None = None

    @property
    def duckdb_type(self) -> str:
        return DUCKDB_TYPES[self.type]

    def default_text(self) -> str:
        """The default as the reference states it; empty for a column every file must have."""
        if not self.optional:
            return ""
        if self.derived_from:
            return "hash of " + ", ".join(self.derived_from)
        return "empty" if self.default is None else f"`{self.default}`"


@dataclass(frozen=True)
class Table:
    name: str
    domain: str
    owner: str
    description: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]

    @property
    def column_names(self) -> list[str]:
        return [column.name for column in self.columns]

    @property
    def qualified_name(self) -> str:
        return f"{RAW_SCHEMA}.{self.name}"

    def user_columns(self, kind: str) -> list[str]:
        """The columns that identify a user as `kind` (owner or mention)."""
        return [column.name for column in self.columns if column.identifies_user == kind]

    def column(self, name: str) -> Column:
        return next(column for column in self.columns if column.name == name)

    def ddl(self) -> str:
        """CREATE TABLE without a PRIMARY KEY: ingestion enforces the key, and an index would
        cost memory on the biggest tables for no extra safety."""
        lines = [
            f"    {c.name} {c.duckdb_type}{'' if c.nullable else ' NOT NULL'}" for c in self.columns
        ]
        return f"create table if not exists {self.qualified_name} (\n" + ",\n".join(lines) + "\n)"


def _parse_column(table: str, raw: dict) -> Column:
    where = f"{CONTRACT_PATH.name}: {table}"
    name = validate_identifier(raw.get("name"), where)
    kind = raw.get("type")
    if kind not in DUCKDB_TYPES:
        raise ValueError(f"{where}.{name}: unknown type {kind!r}")
    unknown = set(raw) - _COLUMN_FIELDS
    if unknown:
        raise ValueError(f"{where}.{name}: unknown fields {sorted(unknown)}")
    if ("min" in raw or "max" in raw) and kind not in NUMERIC_TYPES:
        raise ValueError(f"{where}.{name}: min/max only apply to numeric columns")
    if raw.get("future_ok") and kind not in TEMPORAL_TYPES:
        raise ValueError(f"{where}.{name}: future_ok only applies to dates and timestamps")
    allowed = tuple(str(value) for value in raw["allowed"]) if raw.get("allowed") else None
    nullable = bool(raw.get("nullable", False))
    identifies = raw.get("identifies_user")
    if identifies is not None and identifies not in IDENTIFIES_USER:
        raise ValueError(f"{where}.{name}: identifies_user is one of {list(IDENTIFIES_USER)}")
    if identifies and kind != "BIGINT":
        raise ValueError(f"{where}.{name}: identifies_user applies to user ids (BIGINT)")
    if identifies == "mention" and not nullable:
        raise ValueError(f"{where}.{name}: a mention is emptied on erasure, so it is nullable")
    default, derived_from = raw.get("default"), ()
    if isinstance(default, dict):
        if set(default) != {"hash_of"} or not default["hash_of"]:
            raise ValueError(f"{where}.{name}: a derived default is {{hash_of: [columns]}}")
        if kind not in DERIVED_KEY_TYPES:
            raise ValueError(f"{where}.{name}: a derived key is one of {sorted(DERIVED_KEY_TYPES)}")
        derived_from = tuple(validate_identifier(part, where) for part in default["hash_of"])
        default = None
    elif default is None:
        if "default" in raw and not nullable:
            raise ValueError(f"{where}.{name}: default null (empty) needs nullable: true")
    else:
        default = str(default)
        if nullable:
            raise ValueError(f"{where}.{name}: a nullable column's default is null (empty)")
        if kind != "VARCHAR":
            raise ValueError(f"{where}.{name}: a default value only applies to VARCHAR columns")
        if allowed and default not in allowed:
            raise ValueError(f"{where}.{name}: default {default!r} is not one of its allowed")
    return Column(
        name=name,
        type=kind,
        nullable=nullable,
        meaning=str(raw.get("meaning", "")).strip(),
        minimum=raw.get("min"),
        maximum=raw.get("max"),
        allowed=allowed,
        future_ok=bool(raw.get("future_ok", False)),
        optional="default" in raw,
        default=default,
        derived_from=derived_from,
        identifies_user=identifies,
    )


def _check_defaults(where: str, columns: tuple[Column, ...], key: tuple[str, ...]) -> None:
    """A key left out is derived from the row (a fixed or empty one would merge every row), and
    only from columns that have a value of their own."""
    names = {column.name for column in columns}
    derived = {column.name for column in columns if column.derived_from}
    for column in columns:
        if column.optional and column.name in key and not column.derived_from:
            raise ValueError(f"{where}.{column.name}: a key column's default is a hash_of")
        if column.derived_from and column.name not in key:
            raise ValueError(f"{where}.{column.name}: hash_of only applies to key columns")
        unknown = [part for part in column.derived_from if part not in names or part in derived]
        if unknown:
            raise ValueError(
                f"{where}.{column.name}: hash_of names {unknown}, which are not columns of the"
                " table with a value of their own"
            )


def parse_contract(document: dict, source: Path = CONTRACT_PATH) -> dict[str, Table]:
    tables: dict[str, Table] = {}
    owners: dict[str, str] = document["domains"]
    for name, spec in document["tables"].items():
        validate_identifier(name, f"{source.name}: table")
        columns = tuple(_parse_column(name, column) for column in spec["columns"])
        names = [column.name for column in columns]
        if len(set(names)) != len(names):
            raise ValueError(f"{source.name}: {name} repeats a column name")
        key = tuple(spec["key"])
        missing_key = [part for part in key if part not in names]
        if not key or missing_key:
            raise ValueError(f"{source.name}: {name} key {list(key)} names unknown columns")
        if any(column.nullable for column in columns if column.name in key):
            raise ValueError(f"{source.name}: {name} has a nullable key column")
        if any(column.identifies_user == "mention" for column in columns if column.name in key):
            raise ValueError(f"{source.name}: {name} has a key column that is a mention")
        _check_defaults(f"{source.name}: {name}", columns, key)
        domain = validate_identifier(spec["domain"], f"{source.name}: {name}.domain")
        if domain not in owners:
            raise ValueError(f"{source.name}: {name} has domain {domain!r} with no owner")
        tables[name] = Table(
            name=name,
            domain=domain,
            owner=owners[domain],
            description=spec["description"].strip(),
            key=key,
            columns=columns,
        )
    return tables


@cache
def load_contract() -> dict[str, Table]:
    """Every raw table by name, in the contract's order."""
    return parse_contract(load_yaml(CONTRACT_PATH))


def _rule_text(column: Column) -> str:
    rules = []
    if column.allowed:
        rules.append("one of " + ", ".join(f"`{value}`" for value in column.allowed))
    if column.minimum is not None:
        rules.append(f">= {column.minimum}")
    if column.maximum is not None:
        rules.append(f"<= {column.maximum}")
    if column.type == "MONEY":
        rules.append(f"at most {MONEY_SCALE} decimals")
    if column.type in TEMPORAL_TYPES:
        rules.append(
            "not before founding" if column.future_ok else "not before founding, not in the future"
        )
    if column.identifies_user:
        rules.append(_ERASURE_TEXT[column.identifies_user])
    return "; ".join(rules)


_ERASURE_TEXT = {
    "owner": "identifies a user: the row is erased with them",
    "mention": "names a user: emptied when they are erased",
}


def render_reference(tables: dict[str, Table] | None = None) -> str:
    """docs/raw-data-contract.md, generated so that it can never drift from the contract."""
    tables = tables or load_contract()
    out = [
        "# Raw data contract",
        "",
        "Generated from `assets/raw_contract.yaml` by `nexus contract-docs`; do not edit by hand.",
        "",
        "Files go into the landing folder as `<table>.csv`, `<table>.parquet`, or any number",
        "of `.csv`/`.parquet` files inside a folder named `<table>/`. CSV files are UTF-8 with a",
        "header row whose column names are exactly the table's columns, in any order.",
        "",
        "- A column with a default may be left out of a file. Left out, or empty in a row, it",
        "  takes its default: a fixed value, empty, or (for a key the source does not have) a",
        "  hash of the row's named columns. The same row always gets the same key, so loading",
        "  it again replaces it instead of adding it; rows equal in those columns are one row.",
        "- Surrounding whitespace (spaces, tabs, line breaks) is trimmed from every value read",
        "  as text, keys and columns with allowed values included, and before a text value is",
        "  read as a number, date, timestamp or boolean; a value that is only whitespace is",
        "  empty, so in a required column its row is quarantined.",
        "- Timestamps are ISO 8601 instants (`2025-03-01T09:30:00Z`; without an offset they are",
        "  read as UTC). A date or timestamp before the founding date is quarantined with the",
        "  setting to change (`founded_on` in `assets/company.yaml` or `NEXUS_FOUNDED_ON`).",
        f"- Money is a decimal in the deployment's currency with at most {MONEY_SCALE} decimals;",
        "  a value with more (`12.345`) is quarantined, never rounded.",
        "- A row whose key is already loaded replaces the old row.",
        "- Columns that identify a user are marked in `checks`: `nexus erase` deletes the rows",
        "  they own and empties the columns that only name them; a later file's rows of an",
        "  erased user are skipped (counted as suppressed), so a re-sent export cannot restore",
        "  them.",
        "",
        "| table | domain | owner | key | one row is |",
        "|---|---|---|---|---|",
    ]
    out += [
        f"| [{t.name}](#{t.name}) | {t.domain} | {t.owner} | {', '.join(t.key)} | {t.description} |"
        for t in tables.values()
    ]
    for table in tables.values():
        out += [
            "",
            f"## {table.name}",
            "",
            table.description,
            "",
            "| column | type | nullable | key | default | checks | meaning |",
            "|---|---|---|---|---|---|---|",
        ]
        out += [
            f"| {c.name} | {c.duckdb_type} | {'yes' if c.nullable else 'no'} | "
            f"{'yes' if c.name in table.key else ''} | {c.default_text()} | {_rule_text(c)} | "
            f"{c.meaning} |"
            for c in table.columns
        ]
    return "\n".join(out) + "\n"


def write_reference(path: Path = REFERENCE_PATH) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_reference(), encoding="utf-8")
    return path
