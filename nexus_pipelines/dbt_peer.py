"""The benchmark's peer: the product's own SQL queries run by dbt (dbt-core with dbt-duckdb) as
table models over the same warehouse.

The floor (bench.run_floor) says what the queries cost in DuckDB alone; the product's figure says
what Dagster's write path adds. The peer places a well-known tool beside both: what the same
queries cost when an ordinary dbt project builds them, so the product's overhead is read against
something a team would otherwise use, not only against the bare minimum.

The peer writes a throwaway dbt project: one model per SQL asset declaration, its text the query
the floor runs with the named parameters written in as literals (a dbt model has no bound
parameters), materialised as a table under the declaration's own schema and name, ordered by
dbt's graph from `-- depends_on: ref()` lines. dbt lives in its own virtualenv (.venv-dbt,
bench-requirements.txt) so its pins never move the product's; it is run by path.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import yaml

from nexus_pipelines.settings import PROJECT_DIR
from nexus_pipelines.sql_assets import SqlAssetDeclaration, load_declarations, prepared_query
from nexus_pipelines.warehouse import Warehouse, tables_read

DBT_EXECUTABLE = PROJECT_DIR / ".venv-dbt" / "bin" / "dbt"
PROJECT_NAME = "nexus_peer"
# The same names query_parameters looks for; the match is greedy, so `$growth_mau_days` is never
# taken for a `$growth_mau` that happens to be a parameter too.
_PARAMETER = r"\$([a-z_][a-z0-9_]*)"


class PeerError(RuntimeError):
    """dbt failed, or its tables are not the ones the floor writes."""


def model_name(declaration: SqlAssetDeclaration) -> str:
    """Unique across domains: two domains may each have a table of the same name."""
    return f"{declaration.domain}__{declaration.name}"


def _plain_literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else f"'{value}'"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, datetime | date):
        return f"'{value.isoformat(sep=' ') if isinstance(value, datetime) else value}'"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_plain_literal(item) for item in value) + "]"
    raise TypeError(f"no SQL literal for {value!r} ({type(value).__name__})")


def sql_literal(connection: duckdb.DuckDBPyConnection, value: Any) -> str:
    """`value` as a SQL literal of the very type DuckDB binds it as (a float stays DOUBLE, not
    DECIMAL; a datetime TIMESTAMP WITH TIME ZONE), checked equal to the bound value, so the
    model computes what the floor's parameterised query computes; an empty setting is NULL."""
    if value is None:
        return "null"
    kind = connection.execute("select typeof($value)", {"value": value}).fetchone()[0]
    literal = f"cast({_plain_literal(value)} as {kind})"
    same = connection.execute(
        f"select {literal} is not distinct from $value and typeof({literal}) = $kind",
        {"value": value, "kind": kind},
    ).fetchone()[0]
    if not same:
        raise PeerError(f"the literal {literal} is not the parameter {value!r}")
    return literal


def inline_parameters(
    connection: duckdb.DuckDBPyConnection, sql: str, parameters: Mapping[str, Any]
) -> str:
    """The query with each `$name` the parameters hold written as a literal; nothing else moves."""
    literals = {name: sql_literal(connection, value) for name, value in parameters.items()}
    return re.sub(_PARAMETER, lambda found: literals.get(found.group(1), found.group(0)), sql)


def _upstream(declaration: SqlAssetDeclaration, models: Mapping[str, str]) -> list[str]:
    """The models a declaration reads: its declared deps and the tables its query names (a
    table read only inside a domain macro is known from the deps alone)."""
    names = {dep.replace("/", ".") for dep in declaration.deps}
    names |= set(tables_read(declaration.runnable_sql, declaration.query_file))
    names.discard(declaration.qualified_name)
    return sorted(models[name] for name in names if name in models)


def _model_text(declaration: SqlAssetDeclaration, sql: str, upstream: Iterable[str]) -> str:
    """The query kept verbatim inside a raw block (dbt renders models with Jinja); the ref lines
    only order the run, the query reads its `schema.table` names as they are."""
    refs = "".join(f"-- depends_on: {{{{ ref('{name}') }}}}\n" for name in upstream)
    config = f"{{{{ config(schema='{declaration.domain}', alias='{declaration.name}') }}}}\n"
    return f"{refs}{config}{{% raw %}}\n{sql}\n{{% endraw %}}\n"


_SCHEMA_MACRO = """\
{# The model's schema verbatim (the domain), not dbt's <target>_<custom> default. #}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ (custom_schema_name or target.schema) | trim }}
{%- endmacro %}
"""


def write_project(
    declarations: list[SqlAssetDeclaration],
    window_start: datetime,
    window_end: datetime,
    reporting_timezone: str,
    warehouse_path: Path,
    workdir: Path,
) -> dict[str, SqlAssetDeclaration]:
    """Write the dbt project into `workdir`; returns each model's declaration by model name."""
    window = {"window_start": window_start, "window_end": window_end}
    models = {declaration.qualified_name: model_name(declaration) for declaration in declarations}
    models_dir, macros_dir = workdir / "models", workdir / "macros"
    for folder in (models_dir, macros_dir, workdir / "target"):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True, exist_ok=True)
    domain_macros: dict[str, str] = {}
    with duckdb.connect() as connection:  # parameters only: no warehouse, no macros
        for declaration in declarations:
            offered = window if declaration.partition_column else {}
            sql, parameters = prepared_query(
                connection, replace(declaration, macros=None), offered, reporting_timezone
            )
            text = _model_text(
                declaration,
                inline_parameters(connection, sql, parameters),
                _upstream(declaration, models),
            )
            (models_dir / f"{models[declaration.qualified_name]}.sql").write_text(text, "utf-8")
            if declaration.macros:
                domain_macros[declaration.domain] = declaration.macros
    (macros_dir / "generate_schema_name.sql").write_text(_SCHEMA_MACRO, "utf-8")
    # Each domain's macros before any model, as prepared_query creates them before its query.
    hooks = [
        f"create schema if not exists {domain};\n{{% raw %}}\n{macros}\n{{% endraw %}}"
        for domain, macros in sorted(domain_macros.items())
    ]
    project_file = {
        "name": PROJECT_NAME,
        "version": "1.0.0",
        "config-version": 2,
        "profile": PROJECT_NAME,
        "model-paths": ["models"],
        "macro-paths": ["macros"],
        "target-path": "target",
        "on-run-start": hooks,
        "models": {PROJECT_NAME: {"+materialized": "table"}},
        "flags": {"send_anonymous_usage_stats": False},
    }
    config = Warehouse(database=str(warehouse_path)).duckdb_config()  # the product's DuckDB limits
    profile = {
        PROJECT_NAME: {
            "target": "bench",
            "outputs": {
                "bench": {
                    "type": "duckdb",
                    "path": str(warehouse_path),
                    "threads": 1,
                    "config_options": config,
                    # as Warehouse.get_connection: a timestamp without offset means UTC
                    "settings": {"TimeZone": "UTC"},
                }
            },
        }
    }
    (workdir / "dbt_project.yml").write_text(yaml.safe_dump(project_file, sort_keys=False))
    (workdir / "profiles.yml").write_text(yaml.safe_dump(profile, sort_keys=False))
    return {model_name(declaration): declaration for declaration in declarations}


def _tables_present(connection: duckdb.DuckDBPyConnection) -> set[str]:
    return {
        f"{schema}.{table}"
        for schema, table in connection.execute(
            "select table_schema, table_name from information_schema.tables"
        ).fetchall()
    }


def table_rows(
    warehouse_path: Path, declarations: Iterable[SqlAssetDeclaration] | None = None
) -> dict[str, int]:
    """Rows of each SQL asset's table (a missing table is left out): what peer and floor compare."""
    declarations = list(declarations if declarations is not None else load_declarations())
    counts: dict[str, int] = {}
    with duckdb.connect(str(warehouse_path), read_only=True) as connection:
        present = _tables_present(connection)
        for declaration in declarations:
            name = declaration.qualified_name
            if name in present:
                counts[name] = connection.execute(f"select count(*) from {name}").fetchone()[0]
    return counts


def _missing_inputs(warehouse_path: Path, declarations: list[SqlAssetDeclaration]) -> list[str]:
    """Tables the queries read that no model builds and the warehouse lacks (the product's
    Python assets, such as forecasts): the peer, like the floor, runs after the product."""
    built = {declaration.qualified_name for declaration in declarations}
    wanted = {
        table
        for declaration in declarations
        for table in tables_read(declaration.runnable_sql, declaration.query_file)
    } - built
    with duckdb.connect(str(warehouse_path), read_only=True) as connection:
        return sorted(wanted - _tables_present(connection))


def dbt_duckdb_version(dbt_executable: Path = DBT_EXECUTABLE) -> str:
    """The DuckDB version beside `dbt_executable`: the peer times the product's engine or none."""
    python = dbt_executable.parent / "python"
    if not dbt_executable.exists() or not python.exists():
        raise PeerError(f"{dbt_executable} is missing: install bench-requirements.txt beside it")
    found = subprocess.run(
        [str(python), "-c", "import duckdb; print(duckdb.__version__)"],
        capture_output=True,
        text=True,
        check=False,
    )
    if found.returncode != 0:
        raise PeerError(f"{python} has no duckdb: {found.stderr.strip()}")
    return found.stdout.strip()


def run_dbt_peer(
    window_start: datetime,
    window_end: datetime,
    reporting_timezone: str,
    warehouse_path: Path,
    workdir: Path,
    *,
    expected_rows: Mapping[str, int] | None = None,
    dbt_executable: Path = DBT_EXECUTABLE,
) -> dict[str, Any]:
    """Build every SQL asset's table with `dbt run` over [window_start, window_end) and return
    its figures: `seconds` (the whole `dbt run`, start-up and parsing included),
    `model_seconds` (the models' own execution times, dbt's per-model work included), `models`,
    `domains` (model seconds per domain, as the floor reports them), `duckdb` (the peer's
    version, refused unless the product's) and `rows` per table. `expected_rows` (the floor's counts
    by `schema.table`) is checked when given. Raises PeerError with dbt's output on failure."""
    warehouse_path, workdir = Path(warehouse_path).resolve(), Path(workdir).resolve()
    peer_duckdb = dbt_duckdb_version(dbt_executable)
    if peer_duckdb != duckdb.__version__:
        raise PeerError(
            f"dbt's DuckDB is {peer_duckdb}, the product's {duckdb.__version__}: the peer "
            "would time another engine; install bench-requirements.txt with the product's duckdb"
        )
    declarations = load_declarations()
    missing = _missing_inputs(warehouse_path, declarations)
    if missing:
        raise PeerError(f"{warehouse_path} lacks {missing}: materialise the product first")
    workdir.mkdir(parents=True, exist_ok=True)
    by_model = write_project(
        declarations, window_start, window_end, reporting_timezone, warehouse_path, workdir
    )
    env = os.environ | {
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DBT_PROFILES_DIR": str(workdir),
        "DBT_PROJECT_DIR": str(workdir),
    }
    command = [str(dbt_executable), "--no-send-anonymous-usage-stats", "--no-use-colors", "run"]
    command += ["--threads", "1", "--profiles-dir", str(workdir), "--project-dir", str(workdir)]
    begun = time.perf_counter()
    completed = subprocess.run(
        command, cwd=workdir, env=env, capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - begun
    output = f"{completed.stdout}\n{completed.stderr}"
    if completed.returncode != 0:
        raise PeerError(f"dbt run failed ({completed.returncode}):\n{output}")
    results = json.loads((workdir / "target" / "run_results.json").read_text())["results"]
    done = {
        result["unique_id"].rsplit(".", 1)[-1]: result
        for result in results
        if result["unique_id"].startswith("model.")
    }
    failed = sorted(name for name, result in done.items() if result["status"] != "success")
    if failed or done.keys() != by_model.keys():
        lacking = sorted(by_model.keys() - done.keys())
        raise PeerError(f"dbt run: failed {failed}, not run {lacking}:\n{output}")
    domains: dict[str, float] = {}
    for name, result in done.items():
        domain = by_model[name].domain
        domains[domain] = domains.get(domain, 0.0) + float(result["execution_time"])
    rows = table_rows(warehouse_path, declarations)
    absent = sorted({d.qualified_name for d in declarations} - rows.keys())
    if absent:
        raise PeerError(f"dbt run left no table for {absent}:\n{output}")
    if expected_rows is not None:
        differ = {
            name: (count, expected_rows.get(name))
            for name, count in rows.items()
            if expected_rows.get(name) != count
        }
        if differ:
            raise PeerError(f"peer rows differ from the floor's (peer, floor): {differ}")
    return {
        "seconds": seconds,
        "model_seconds": sum(domains.values()),
        "models": len(done),
        "duckdb": peer_duckdb,
        "domains": dict(sorted(domains.items())),
        "rows": rows,
    }
