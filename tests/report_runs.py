"""Running report assets in tests the way the schedules run them: every test that materialises a
report goes through `materialize`, so how a report's run is cut (its partition, the runs before
it) is decided in one place."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import dagster as dg


def materialize(
    assets: Sequence[dg.AssetsDefinition],
    resources: Mapping[str, object],
    instance: dg.DagsterInstance | None = None,
) -> dg.ExecuteInProcessResult:
    """Materialise the assets, reports included; the result of the run holding the reports."""
    return dg.materialize(list(assets), resources=dict(resources), instance=instance)
