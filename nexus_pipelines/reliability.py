"""Python-computed reliability assets (what SQL alone cannot do). Filled in by its issue."""

import dagster as dg


def build_assets() -> list[dg.AssetsDefinition]:
    return []


def build_sensors() -> list[dg.SensorDefinition]:
    return []


def build_resources() -> dict[str, dg.ConfigurableResource]:
    return {}
