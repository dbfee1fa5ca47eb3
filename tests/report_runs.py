"""Running report assets in tests the way the schedules run them: every test that materialises a
report goes through `materialize`, so how a report's run is cut is decided in one place.

A cadence's run holds one partitioning, and a report is partitioned by its cadence's period: the
assets that are not reports run first (each test's upstream tables are unpartitioned or hold the
test's days), then the reports, one run per partitioning, for the period holding the data's last
day (as a schedule's run takes the period holding the day before its tick).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import dagster as dg

from nexus_pipelines.partitions import partition_holding
from nexus_pipelines.warehouse import Warehouse, default_as_of


def materialize(
    assets: Sequence[dg.AssetsDefinition],
    resources: Mapping[str, object],
    instance: dg.DagsterInstance | None = None,
) -> dg.ExecuteInProcessResult:
    """Materialise the assets, reports included; the result of the last run (the reports')."""
    instance = instance or dg.DagsterInstance.ephemeral()
    reports = [a for a in assets if "report" in a.specs_by_key[a.key].kinds and a.partitions_def]
    others = [a for a in assets if a not in reports]
    result = None
    if others:
        partitioned = [a for a in others if a.partitions_def]
        key = _holding_data_end(partitioned[0].partitions_def, resources) if partitioned else None
        result = dg.materialize(
            others, resources=dict(resources), instance=instance, partition_key=key
        )
        if not result.success:
            return result
    by_partitions: dict[int, list[dg.AssetsDefinition]] = {}
    for report in reports:
        by_partitions.setdefault(id(report.partitions_def), []).append(report)
    for group in by_partitions.values():
        result = dg.materialize(
            group,
            resources=dict(resources),
            instance=instance,
            partition_key=_holding_data_end(group[0].partitions_def, resources),
        )
        if not result.success:
            return result
    assert result is not None, "nothing to materialise"
    return result


def _holding_data_end(
    partitions: dg.PartitionsDefinition, resources: Mapping[str, object]
) -> str | None:
    """The partition holding the data's last day (its reports' as-of day)."""
    warehouse = resources["warehouse"]
    assert isinstance(warehouse, Warehouse)
    with warehouse.get_connection(read_only=True) as connection:
        as_of = default_as_of(connection)
    assert isinstance(partitions, dg.TimeWindowPartitionsDefinition)
    return partition_holding(partitions, as_of)
