"""The raw tables as Dagster assets, loaded from the landing folder, and the sensor that watches it.

One multi-asset owns every raw table so that a run loads exactly the tables its files feed; the
sensor only lists the landing folder (it never opens the warehouse, which may be locked by a
writer) and names each run after the content it carries, so the same bytes never load twice.
"""

import hashlib
import json
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
from dagster._core.definitions.data_version import DATA_VERSION_TAG
from pydantic import Field

from nexus_pipelines.contract import Table, load_contract
from nexus_pipelines.ingest import (
    FileResult,
    ensure_ingest_tables,
    file_digest,
    ingest_files,
    ingest_lock,
    list_landing_files,
    table_for_path,
)
from nexus_pipelines.metadata import table_metadata
from nexus_pipelines.playbook import owner_for
from nexus_pipelines.settings import load_settings
from nexus_pipelines.warehouse import Warehouse, landing_freshness

RAW_GROUP = "raw"
INGEST_OP = "raw_tables"
ROWS_VALID_CHECK = "rows_valid"


def raw_key(table: str) -> dg.AssetKey:
    return dg.AssetKey([RAW_GROUP, table])


def _contract_schema(table: Table) -> dg.TableSchema:
    return dg.TableSchema(
        columns=[
            dg.TableColumn(
                name=column.name,
                type=column.duckdb_type,
                description=column.meaning,
                constraints=dg.TableColumnConstraints(
                    nullable=column.nullable, unique=table.key == (column.name,)
                ),
            )
            for column in table.columns
        ]
    )


def _raw_spec(table: Table) -> dg.AssetSpec:
    return dg.AssetSpec(
        key=raw_key(table.name),
        description=(
            f"{table.description} Loaded from the landing folder through validated ingestion "
            f"(key: {', '.join(table.key)}; a later row with the same key replaces the earlier). "
            "See docs/raw-data-contract.md."
        ),
        group_name=RAW_GROUP,
        owners=[owner_for(table.owner)],
        tags={"domain": table.domain},
        kinds={"duckdb"},
        freshness_policy=landing_freshness(),
        metadata={
            "dagster/column_schema": _contract_schema(table),
            "dagster/table_name": table.qualified_name,
        },
    )


class IngestConfig(dg.Config):
    landing_dir: str = Field(
        default="", description="Folder to load from; empty means NEXUS_LANDING_DIR."
    )
    files: list[str] = Field(
        default_factory=list,
        description="Landing files to load, in order; empty means every file in the landing "
        "folder (files already loaded are recognised by their content and skipped).",
    )


def raw_table_metadata(
    connection: duckdb.DuckDBPyConnection, table: Table, results: list[FileResult]
) -> dict[str, Any]:
    """What the UI shows for a raw table after a load: its size, schema and this load's counts."""
    return (
        table_metadata(
            connection,
            table.qualified_name,
            descriptions={column.name: column.meaning for column in table.columns},
        )
        | {
            "files": dg.MetadataValue.md(
                "\n".join(
                    f"- `{result.path}`: {result.status}, {result.rows_in} in, "
                    f"{result.loaded} loaded, {result.quarantined} quarantined, "
                    f"{result.duplicates} duplicates"
                    for result in results
                )
                or "none new"
            ),
            "rows_in": sum(result.rows_in for result in results),
            "rows_loaded": sum(result.loaded for result in results),
            "rows_quarantined": sum(result.quarantined for result in results),
            "rows_duplicate": sum(result.duplicates for result in results),
            "files_rejected": sum(result.status == "rejected" for result in results),
        }
        | _last_loaded_at(connection, table.name)
    )


def _last_loaded_at(connection: duckdb.DuckDBPyConnection, table: str) -> dict[str, Any]:
    found = connection.execute(
        "select max(finished_at) from ingest.ingestion_log "
        "where table_name = $table and status = 'loaded'",
        {"table": table},
    ).fetchone()
    return {"last_loaded_at": dg.MetadataValue.timestamp(found[0])} if found and found[0] else {}


def files_version(digests: Iterable[str]) -> dg.DataVersion:
    """A raw table's version: the set of files (by content) loaded into it. The loads record it
    and the landing sensor computes it from the folder, so that a sensor starting without its
    cursor (the first `make ui` after `nexus demo`) tells loaded tables from the others without
    opening the warehouse. A folder no longer holding every file loaded (one replaced in place)
    differs: such a start requests that table again, and its run skips the files loaded."""
    joined = ",".join(sorted(set(digests)))
    return dg.DataVersion(hashlib.sha256(joined.encode()).hexdigest()[:16])


def loaded_files_version(connection: duckdb.DuckDBPyConnection, table: str) -> dg.DataVersion:
    """The version of the files the ingestion log says were loaded into the table."""
    rows = connection.execute(
        "select distinct sha256 from ingest.ingestion_log "
        "where table_name = $table and status = 'loaded'",
        {"table": table},
    ).fetchall()
    return files_version(row[0] for row in rows)


def results_by_table(results: list[FileResult]) -> dict[str, list[FileResult]]:
    """Files that changed something (or were rejected), grouped by the raw table they feed."""
    grouped: dict[str, list[FileResult]] = {}
    for result in results:
        if result.table and result.status != "skipped":
            grouped.setdefault(result.table, []).append(result)
    return dict(sorted(grouped.items()))


def _rows_valid(table: str, results: list[FileResult]) -> dg.AssetCheckResult:
    rejected = [result for result in results if result.status == "rejected"]
    quarantined = sum(result.quarantined for result in results)
    problems = [f"{result.path}: {result.error}" for result in rejected]
    return dg.AssetCheckResult(
        asset_key=raw_key(table),
        check_name=ROWS_VALID_CHECK,
        passed=not rejected and not quarantined,
        severity=dg.AssetCheckSeverity.ERROR if rejected else dg.AssetCheckSeverity.WARN,
        metadata={
            "rows_quarantined": quarantined,
            "files_rejected": len(rejected),
            "problems": dg.MetadataValue.md("\n".join(f"- {p}" for p in problems) or "none"),
        }
        | ({} if results else {"note": "no new file for this table in this run"}),
    )


def build_raw_assets() -> dg.AssetsDefinition:
    tables = load_contract()

    @dg.multi_asset(
        name=INGEST_OP,
        specs=[_raw_spec(table) for table in tables.values()],
        check_specs=[
            dg.AssetCheckSpec(
                ROWS_VALID_CHECK,
                asset=raw_key(name),
                description="Every row of the files loaded in this run passed validation "
                "(quarantined rows: see ingest.quarantine) and no file was rejected.",
            )
            for name in tables
        ],
        can_subset=True,
        pool="duckdb",
    )
    def raw_tables(context: dg.AssetExecutionContext, config: IngestConfig, warehouse: Warehouse):
        """Validated ingestion of the landing folder into the raw schema."""
        settings = load_settings()
        landing = Path(config.landing_dir) if config.landing_dir else settings.landing_dir
        selected = {key.path[-1] for key in context.selected_asset_keys}
        # the lock first: a waiting ingest then holds nothing, and lists the folder once it may
        with ingest_lock(settings), warehouse.get_connection() as connection:
            if config.files:
                paths = [Path(name) for name in config.files]
            else:
                paths = [
                    path
                    for path in list_landing_files(landing)
                    if table_for_path(path, landing) in selected
                ]
            ensure_ingest_tables(connection)
            report = ingest_files(connection, paths, landing, settings)
            for result in report.files:
                level = context.log.error if result.status == "rejected" else context.log.info
                level(
                    f"{result.path}: {result.status}; {result.rows_in} rows in, {result.loaded} "
                    f"loaded, {result.quarantined} quarantined, {result.duplicates} duplicates"
                    + (f"; {result.error}" if result.error else "")
                )
            changed = results_by_table(report.files)
            # Every selected table materialises, changed or not: its dependants in the same run
            # must run on the data that is there, and "nothing new" is not "no data".
            for name in sorted(selected):
                results = changed.get(name, [])
                metadata = raw_table_metadata(connection, tables[name], results)
                if not results:
                    metadata["note"] = "no new file for this table in this run"
                yield dg.MaterializeResult(
                    asset_key=raw_key(name),
                    metadata=metadata,
                    data_version=loaded_files_version(connection, name),
                    check_results=[_rows_valid(name, results)],
                )

    return raw_tables


def file_signature(path: Path) -> list[int]:
    """What a sensor cursor remembers of a file: a changed size or mtime means new content."""
    stat = path.stat()
    return [stat.st_size, stat.st_mtime_ns]


def changed_files(
    paths: Iterable[Path], seen: dict[str, list[int]], base: Path
) -> list[tuple[str, Path]]:
    """Settled files whose signature differs from the cursor's record, by path under base."""
    # files younger than the settle time may still be being written: wait for them
    settle, now = load_settings().landing_settle_seconds, time.time()
    return [
        (str(path.relative_to(base)), path)
        for path in paths
        if now - path.stat().st_mtime >= settle
        and seen.get(str(path.relative_to(base))) != file_signature(path)
    ]


def _loaded_versions(instance: dg.DagsterInstance, tables: Iterable[str]) -> dict[str, str]:
    """Each raw table's version as its latest load recorded it (a sensor run's or the CLI's)."""
    latest = instance.get_latest_materialization_events([raw_key(name) for name in tables])
    return {
        key.path[-1]: entry.asset_materialization.tags.get(DATA_VERSION_TAG, "")
        for key, entry in latest.items()
        if entry is not None and entry.asset_materialization is not None
    }


def build_landing_sensor(raw_assets: dg.AssetsDefinition) -> dg.SensorDefinition:
    @dg.sensor(
        name="landing_folder_sensor",
        description="Loads new or changed files in the landing folder into the raw tables "
        "(the continuous cadence's data feed): one run for the tables that have a file not yet "
        "loaded, selecting only them. Cursor: each file's size, modification time and sha256.",
        target=raw_assets,
        minimum_interval_seconds=30,
        default_status=dg.DefaultSensorStatus.RUNNING,
    )
    def landing_folder_sensor(context: dg.SensorEvaluationContext):
        landing = load_settings().landing_dir
        # relative path -> [size, mtime_ns, sha256]: a file is hashed once per change
        seen: dict[str, list] = json.loads(context.cursor) if context.cursor else {}
        paths = list_landing_files(landing)
        signatures = {relative: entry[:2] for relative, entry in seen.items()}
        fresh: dict[str, list[Path]] = {}
        unknown: list[str] = []
        for relative, path in changed_files(paths, signatures, landing):
            table = table_for_path(path, landing)
            if table is None:
                unknown.append(relative)
                continue
            fresh.setdefault(table, []).append(path)
            seen[relative] = [*file_signature(path), file_digest(path)]
        if unknown:
            context.log.warning(
                f"Not a contract table, left in place: {unknown}. Name files <table>.csv, "
                "<table>.parquet or put them in a <table>/ folder (docs/raw-data-contract.md)."
            )
        # A table needs a run when its files in the folder are not the files last loaded into
        # it: a start with an empty cursor after `nexus demo` finds them all loaded.
        loaded = _loaded_versions(context.instance, fresh)
        by_table: dict[str, list[str]] = {}
        for path in paths:
            relative = str(path.relative_to(landing))
            if relative in seen and (table := table_for_path(path, landing)) in fresh:
                if len(seen[relative]) < 3:  # a cursor written before digests were kept
                    seen[relative] = [*seen[relative][:2], file_digest(path)]
                by_table.setdefault(table, []).append(seen[relative][2])
        needed = {
            table: files
            for table, files in sorted(fresh.items())
            if files_version(by_table[table]).value != loaded.get(table)
        }
        present = {str(path.relative_to(landing)) for path in paths}
        context.update_cursor(
            json.dumps({k: v for k, v in seen.items() if k in present}, sort_keys=True)
        )
        if not needed:
            return dg.SkipReason(
                f"Already loaded: the new or changed files of {', '.join(sorted(fresh))}."
                if fresh
                else "No new files in the landing folder."
            )
        if already := sorted(fresh.keys() - needed.keys()):
            context.log.info(f"Already loaded, not requested: {', '.join(already)}.")
        files = [path for table in needed for path in needed[table]]
        digests = sorted(seen[str(path.relative_to(landing))][2] for path in files)
        run_key = "ingest-" + hashlib.sha256("\n".join(digests).encode()).hexdigest()[:32]
        return dg.RunRequest(
            run_key=run_key,
            asset_selection=[raw_key(table) for table in needed],
            run_config=dg.RunConfig(
                ops={INGEST_OP: IngestConfig(files=[str(path) for path in files])}
            ),
            tags={"nexus/trigger": "landing_folder", "nexus/files": str(len(files))},
        )

    return landing_folder_sensor
