"""Delivery: what the generic SQL asset cannot do on its own.

The flow tables are SQL assets declared in assets/domains/delivery/assets.yaml. Ingestion checks
each column on its own, so a work item done before it started reaches the warehouse;
delivery.work_item_flow quarantines it and the check here says how many there are. The picture
shows the median cycle time per quarter, by item type, beside throughput and work in progress.
"""

from collections.abc import Mapping
from typing import Any

import dagster as dg
import duckdb
import pandas as pd
from matplotlib.figure import Figure

from nexus_pipelines.metadata import png_markdown
from nexus_pipelines.sql_assets import CheckHook, MetadataHook, SqlAssetDeclaration, WrittenRows
from nexus_pipelines.warehouse import count_value

# Items named in the check's metadata, enough to find the source records.
EXAMPLE_ITEMS = 5


def no_item_done_before_started(
    connection: duckdb.DuckDBPyConnection,
    declaration: SqlAssetDeclaration,
    written: WrittenRows,
    options: Mapping[str, Any],
) -> dg.AssetCheckResult:
    """Flag the quarantined items: a negative cycle time is a source error, not a fast item."""
    table = declaration.qualified_name
    found = count_value(
        connection, f"select count(*) from {table} where flow_state = 'quarantined'", {}
    )
    examples = connection.execute(
        f"select work_item_id from {table} where flow_state = 'quarantined' "
        f"order by work_item_id limit {EXAMPLE_ITEMS}"
    ).fetchall()
    return dg.AssetCheckResult(
        check_name="no_item_done_before_started",
        passed=found == 0,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "items_done_before_started": found,
            "example_work_item_ids": ", ".join(row[0] for row in examples) or "none",
        },
    )


def _quarter_label(quarter: Any) -> str:
    day = pd.Timestamp(quarter)
    return f"{day.year}-Q{day.quarter}"


def cycle_time_chart(frame: pd.DataFrame) -> Figure:
    """Median cycle time per quarter, one line per item type and a thicker one for all items;
    below it, throughput as bars and work in progress at the quarter's end. A running quarter
    is drawn hollow: its figures still move."""
    overall = frame[frame["item_type"] == "all"].sort_values("quarter")
    labels = [_quarter_label(q) for q in overall["quarter"]]
    positions = {quarter: index for index, quarter in enumerate(overall["quarter"])}
    running = ~overall["is_complete"].astype(bool)
    figure = Figure(figsize=(max(6.0, 0.6 * len(labels) + 2.5), 5.5))
    medians, flow = figure.subplots(2, 1, sharex=True, height_ratios=[3, 2])
    for item_type, rows in frame.sort_values("quarter").groupby("item_type", sort=True):
        emphasised = item_type == "all"
        x = [positions[q] for q in rows["quarter"]]
        (line,) = medians.plot(
            x,
            rows["cycle_time_median_days"].astype(float),
            marker="o",
            markersize=4,
            linewidth=2.5 if emphasised else 1.2,
            color="black" if emphasised else None,
            label="all items" if emphasised else item_type,
            zorder=3 if emphasised else 2,
        )
        ongoing = rows[~rows["is_complete"].astype(bool)]
        medians.scatter(
            [positions[q] for q in ongoing["quarter"]],
            ongoing["cycle_time_median_days"].astype(float),
            s=60,
            facecolor="white",
            edgecolor=line.get_color(),
            zorder=4,
        )
    medians.set_ylabel("median cycle time (days)")
    medians.set_ylim(bottom=0)
    medians.grid(alpha=0.3)
    medians.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
    medians.set_title(
        "Median cycle time (done - started) of the items done each quarter", loc="left"
    )
    x = range(len(labels))
    flow.bar(
        x,
        overall["throughput"],
        color=["white" if r else "tab:blue" for r in running],
        edgecolor="tab:blue",
        label="throughput (items done)",
    )
    flow.plot(
        x,
        overall["wip_at_quarter_end"].astype(float),
        color="tab:orange",
        marker="s",
        markersize=4,
        label="work in progress at quarter end",
    )
    flow.set_ylabel("items")
    flow.grid(alpha=0.3, axis="y")
    flow.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
    flow.set_xticks(list(x), labels, rotation=45, ha="right")
    flow.set_xlabel("calendar quarter (hollow: still running)")
    return figure


def cycle_time_picture_metadata(
    connection: duckdb.DuckDBPyConnection,
    declaration: SqlAssetDeclaration,
    written: WrittenRows,
    options: Mapping[str, Any],
) -> dict[str, Any]:
    frame = connection.execute(
        "select quarter, item_type, is_complete, throughput, wip_at_quarter_end, "
        f"cycle_time_median_days from {declaration.qualified_name} where team = 'all' "
        "order by quarter, item_type"
    ).df()
    if frame.empty:
        return {}
    return {
        "cycle_time_chart": png_markdown(
            cycle_time_chart(frame),
            "Median cycle time per quarter by item type (all items in black), with throughput "
            "and work in progress at the quarter's end; hollow marks a running quarter.",
        )
    }


HOOKS: dict[str, CheckHook | MetadataHook] = {
    "no_item_done_before_started": CheckHook(
        "No work item was done before it started (such items are quarantined in "
        "delivery.work_item_flow and counted nowhere; a failure says how many, with examples).",
        no_item_done_before_started,
    ),
    "cycle_time_pictures": MetadataHook(cycle_time_picture_metadata),
}
