"""Python-computed revenue assets (what SQL alone cannot do). Filled in by its issue."""

import dagster as dg


def build_assets() -> list[dg.AssetsDefinition]:
    return []
