"""What a range run leaves in the instance's event log, read back from a real (SQLite) instance.

Tables of daily rows are partitioned by month. A run over three months plans once per asset (not
once per partition) and records one materialisation per month, each with that month's own row
count and headline. A later run of the oldest month alone becomes the asset's latest event in the
UI; it still carries the figure as of the table's newest day beside its own month's.

Data (UTC): u1 and u2 sign up on 2025-01-10 (organic), u3 on 2025-03-01 (organic), nobody in
February. By hand, signups_by_channel_daily (one row per day and channel with signups; headline
`signups`, a sum): January 1 row, 2 signups; February 0 rows, no value (a sum over no rows is no
value, not 0); March 1 row, 1 signup. The table's newest day is 2025-03-01, with 1 signup.
"""

from __future__ import annotations

import dagster as dg

from nexus_pipelines.contract import load_contract
from nexus_pipelines.sql_assets import build_sql_asset, load_declarations
from nexus_pipelines.warehouse import Warehouse

SIGNUPS = next(d for d in load_declarations() if d.name == "signups_by_channel_daily")
JANUARY, FEBRUARY, MARCH = "2025-01-01", "2025-02-01", "2025-03-01"


def load_users(warehouse: Warehouse) -> None:
    with warehouse.get_connection() as connection:
        for table in load_contract().values():
            connection.execute(table.ddl())
        for user_id, signup_at in [
            (1, "2025-01-10 08:00"),
            (2, "2025-01-10 20:00"),
            (3, "2025-03-01 09:00"),
        ]:
            connection.execute(
                "insert into raw.users "
                "values ($1, $2, 'organic', null, 'free', 'self_serve', 'DE', 'core')",
                [user_id, f"{signup_at}+00"],
            )


def run_months(instance: dg.DagsterInstance, warehouse: Warehouse, first: str, last: str) -> str:
    result = dg.materialize(
        [build_sql_asset(SIGNUPS)],
        instance=instance,
        resources={"warehouse": warehouse},
        tags={
            "dagster/asset_partition_range_start": first,
            "dagster/asset_partition_range_end": last,
        },
    )
    assert result.success
    return result.run_id


def records(instance: dg.DagsterInstance, run_id: str, kind: dg.DagsterEventType) -> list:
    return list(instance.get_records_for_run(run_id, of_type=kind).records)


def test_a_range_run_plans_once_and_gives_each_month_its_own_figures(warehouse: Warehouse) -> None:
    load_users(warehouse)
    with dg.instance_for_test() as instance:
        run_id = run_months(instance, warehouse, JANUARY, MARCH)
        [planned] = records(instance, run_id, dg.DagsterEventType.ASSET_MATERIALIZATION_PLANNED)
        subset = planned.event_log_entry.dagster_event.event_specific_data.partitions_subset
        assert sorted(subset.get_partition_keys()) == [JANUARY, FEBRUARY, MARCH]
        events = {
            record.partition_key: record.asset_materialization.metadata
            for record in records(instance, run_id, dg.DagsterEventType.ASSET_MATERIALIZATION)
        }
    assert sorted(events) == [JANUARY, FEBRUARY, MARCH]
    assert {key: meta["dagster/row_count"].value for key, meta in events.items()} == {
        JANUARY: 1,
        FEBRUARY: 0,
        MARCH: 1,
    }
    # a count is recorded as a whole number (an int), which the UI shows as 2, not 2.00
    assert isinstance(events[JANUARY]["signups"], dg.IntMetadataValue)
    assert events[JANUARY]["signups"].value == 2
    assert events[FEBRUARY]["signups"] == dg.MetadataValue.null()
    assert events[MARCH]["signups"].value == 1
    # the preview and the newest day's figure go to the run's newest month only
    assert "preview" in events[MARCH] and "preview" not in events[JANUARY]
    assert events[MARCH]["latest_day"].value == "2025-03-01"
    assert isinstance(events[MARCH]["latest_day_signups"], dg.IntMetadataValue)
    assert events[MARCH]["latest_day_signups"].value == 1
    assert "latest_day" not in events[FEBRUARY]


def test_a_backfill_of_an_old_month_keeps_the_newest_days_figure(warehouse: Warehouse) -> None:
    load_users(warehouse)
    with dg.instance_for_test() as instance:
        run_months(instance, warehouse, JANUARY, MARCH)
        run_months(instance, warehouse, JANUARY, JANUARY)
        latest = instance.get_latest_materialization_event(SIGNUPS.asset_key)
    assert latest is not None and latest.dagster_event.partition == JANUARY
    shown = latest.asset_materialization.metadata
    assert shown["signups"].value == 2  # January's own
    assert shown["latest_day"].value == "2025-03-01"  # and the table's newest day's, not January's
    assert shown["latest_day_signups"].value == 1
