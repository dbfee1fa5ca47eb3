"""Partition definitions: one start date for every asset of a grain, so single-run backfills are
never split into chunks, and calendar grains in the reporting timezone. Days start on the founding
date; months on the first of the founding month, so a company founded mid-month has its first
month (a month partition must begin on a month's first day).
"""

from __future__ import annotations

import dagster as dg

from nexus_pipelines.settings import load_settings

# Read once, when the code location loads: the partitions and every query of this process cut
# calendar days in this one timezone (a window carries it; unpartitioned queries are given it).
_SETTINGS = load_settings()
PARTITIONS_TIMEZONE = _SETTINGS.reporting_timezone
_START = _SETTINGS.founded_on

DAILY = dg.DailyPartitionsDefinition(start_date=_START.isoformat(), timezone=PARTITIONS_TIMEZONE)
MONTHLY = dg.MonthlyPartitionsDefinition(
    start_date=_START.replace(day=1).isoformat(), timezone=PARTITIONS_TIMEZONE
)

_BY_NAME: dict[str, dg.TimeWindowPartitionsDefinition | None] = {
    "daily": DAILY,
    "monthly": MONTHLY,
    "none": None,
}


def partitions_for(name: str) -> dg.TimeWindowPartitionsDefinition | None:
    if name not in _BY_NAME:
        raise ValueError(f"unknown partitions {name!r}: use one of {sorted(_BY_NAME)}")
    return _BY_NAME[name]


def partitioning_name(partitions: dg.PartitionsDefinition | None) -> str:
    """The name an asset's partitioning goes by in declarations and job names."""
    for name, known in _BY_NAME.items():
        if known == partitions:
            return name
    raise ValueError(f"unknown partitioning {partitions}")
