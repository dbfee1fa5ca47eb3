"""Partition definitions: one start date for every time-partitioned asset (the first of the
founding month), so single-run backfills are never split into chunks, and calendar grains in the
reporting timezone.

Tables of daily rows are partitioned by month (`days_by_month`), the running month included: a
partition holds a month of days, the daily schedule rewrites the month holding yesterday, and a
two-year history is 24 partitions rather than 730. Each partition is one materialisation event
per asset, and on the instance's event log those events, not the SQL, were most of a full
rebuild's time (docs/benchmarks.md). Monthly tables (`monthly`) have complete months only.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, tzinfo

import dagster as dg

from nexus_pipelines.settings import load_settings

# Read once, when the code location loads: the partitions and every query of this process cut
# calendar days in this one timezone (a window carries it; unpartitioned queries are given it).
_SETTINGS = load_settings()
PARTITIONS_TIMEZONE = _SETTINGS.reporting_timezone
_FIRST_MONTH = _SETTINGS.founded_on.replace(day=1).isoformat()

DAYS_BY_MONTH = dg.MonthlyPartitionsDefinition(
    start_date=_FIRST_MONTH, timezone=PARTITIONS_TIMEZONE, end_offset=1
)
MONTHLY = dg.MonthlyPartitionsDefinition(start_date=_FIRST_MONTH, timezone=PARTITIONS_TIMEZONE)
# Reports are partitioned by their cadence's period. ISO weeks from Monday (the bi-weekly
# cadence's reports too: their partition is the week a fortnight ends in), and calendar quarters.
_FIRST_MONDAY = _SETTINGS.founded_on - timedelta(days=_SETTINGS.founded_on.weekday())
WEEKLY = dg.WeeklyPartitionsDefinition(
    start_date=_FIRST_MONDAY.isoformat(), day_offset=1, timezone=PARTITIONS_TIMEZONE
)
_FIRST_QUARTER = _SETTINGS.founded_on.replace(
    month=(_SETTINGS.founded_on.month - 1) // 3 * 3 + 1, day=1
)
QUARTERLY = dg.TimeWindowPartitionsDefinition(
    cron_schedule="0 0 1 1,4,7,10 *",
    start=_FIRST_QUARTER.isoformat(),
    fmt="%Y-%m-%d",
    timezone=PARTITIONS_TIMEZONE,
)

# The tag telling `nexus materialize` to render only a report's newest period (nexus_pipelines/
# runner.py): every period of a two-year history is a thousand renders; the UI backfills them.
REBUILD_TAG = "nexus/rebuild"
NEWEST_PERIOD = "newest_period"

_BY_NAME: dict[str, dg.TimeWindowPartitionsDefinition | None] = {
    "days_by_month": DAYS_BY_MONTH,
    "weekly": WEEKLY,
    "monthly": MONTHLY,
    "quarterly": QUARTERLY,
    "none": None,
}

# The period a cadence's report is of, as the partitions of its cadence's job: a Dagster job holds
# one partitioning, and the daily cadence's tables are partitioned by month, so a daily report is
# too (each day's version is its own materialisation and row of its store).
CADENCE_PARTITIONS: dict[str, dg.TimeWindowPartitionsDefinition] = {
    "daily": DAYS_BY_MONTH,
    "weekly": WEEKLY,
    "biweekly": WEEKLY,
    "monthly": MONTHLY,
    "quarterly": QUARTERLY,
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


def local_midnight(day: date, tz: tzinfo | None = None) -> datetime:
    """The instant a local calendar day starts (in the reporting timezone unless told)."""
    return datetime(day.year, day.month, day.day, tzinfo=tz or _SETTINGS.tz)


def last_complete_day(now: datetime | None = None) -> date:
    """Yesterday in the reporting timezone: the newest day whose data can be complete."""
    return ((now or datetime.now(_SETTINGS.tz)).astimezone(_SETTINGS.tz) - timedelta(days=1)).date()


def days_written(window: dg.TimeWindow, now: datetime | None = None) -> tuple[datetime, datetime]:
    """The days of a partition that exist: from the founding date (a month may begin before the
    company did) up to the last complete day (the running month holds only its past days)."""
    first = local_midnight(_SETTINGS.founded_on)
    end = local_midnight(last_complete_day(now) + timedelta(days=1))
    start = max(window.start, first)
    return start, max(start, min(window.end, end))


def partition_holding(partitions: dg.TimeWindowPartitionsDefinition, day: date) -> str | None:
    """The key of the partition whose window holds `day` (None before the first one)."""
    instant = local_midnight(day)
    if instant < partitions.start:
        return None
    return partitions.get_partition_key_for_timestamp(instant.timestamp())
