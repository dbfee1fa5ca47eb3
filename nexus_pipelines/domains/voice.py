"""Customer voice: what the SQL assets of assets/domains/voice/ cannot say in SQL (issue #12).

NPS lives on a -100..100 scale and sentiment on -1..1, outside the 0-100 rule every write
checks, so their ranges are checks here; so is the one identity of the NPS counts (promoters +
passives + detractors = answers, and every breakdown of a month sums to its whole base). The
pictures are where an analyst would rather look than read: the NPS trend with its interval,
NPS per segment and product, and each theme's weekly feedback against its trailing mean.
"""

from collections.abc import Mapping
from typing import Any

import dagster as dg
import duckdb
import pandas as pd
from matplotlib.figure import Figure

from nexus_pipelines.metadata import png_markdown
from nexus_pipelines.playbook import success_metrics
from nexus_pipelines.sql_assets import CheckHook, MetadataHook, SqlAssetDeclaration, WrittenRows
from nexus_pipelines.warehouse import count_value

# Two years of months; half a year of weeks: each point stays readable.
TREND_MONTHS = 24
THEME_WEEKS = 26


def within_scale(name: str, description: str) -> CheckHook:
    """A check that the option's `columns` lie within [`low`, `high`] on every written row."""

    def evaluate(
        connection: duckdb.DuckDBPyConnection,
        declaration: SqlAssetDeclaration,
        written: WrittenRows,
        options: Mapping[str, Any],
    ) -> dg.AssetCheckResult:
        outside = " or ".join(
            f"{column} not between $low and $high" for column in options["columns"]
        )
        found = count_value(
            connection,
            f"select count(*) from {declaration.qualified_name} "
            f"where ({written.scope}) and ({outside})",
            {**written.params, "low": options["low"], "high": options["high"]},
        )
        return dg.AssetCheckResult(
            check_name=name,
            passed=found == 0,
            metadata={
                "rows_outside_scale": found,
                "scale": f"{options['low']} to {options['high']}",
                "columns": ", ".join(options["columns"]),
            },
        )

    return CheckHook(description, evaluate)


def nps_groups_add_up(
    connection: duckdb.DuckDBPyConnection,
    declaration: SqlAssetDeclaration,
    written: WrittenRows,
    options: Mapping[str, Any],
) -> dg.AssetCheckResult:
    """Every row's groups sum to its answers; with breakdowns, each month's segments and its
    products each sum to its whole base (no answer lost or counted twice)."""
    table = declaration.qualified_name
    rows_off = count_value(
        connection,
        f"select count(*) from {table} where ({written.scope}) "
        "and promoters + passives + detractors <> responses",
        written.params,
    )
    breakdowns_off = 0
    if "breakdown" in declaration.key:
        breakdowns_off = count_value(
            connection,
            f"select count(*) from (select month, breakdown, sum(responses) as responses "
            f"from {table} where {written.scope} group by all) as parts "
            f"inner join {table} as whole on whole.month = parts.month "
            "and whole.breakdown = 'all' and parts.responses <> whole.responses",
            written.params,
        )
    return dg.AssetCheckResult(
        check_name="nps_groups_add_up",
        passed=rows_off == 0 and breakdowns_off == 0,
        metadata={"rows_not_adding_up": rows_off, "breakdowns_not_adding_up": breakdowns_off},
    )


def nps_target() -> float:
    """The scorecard's NPS target (assets/playbook/success_metrics.yaml)."""
    return next(metric.target for metric in success_metrics() if metric.id == "nps")


def nps_trend(frame: pd.DataFrame, target: float) -> Figure:
    """Overall NPS per month with its interval as a band; the running month hollow; the
    scorecard's target as a dashed line. Months under the minimum sample are gaps."""
    months = pd.to_datetime(frame["month"])
    figure = Figure(figsize=(7, 3.4))
    axes = figure.add_subplot()
    axes.fill_between(
        months,
        frame["nps_ci_low"].astype(float),
        frame["nps_ci_high"].astype(float),
        alpha=0.25,
        color="tab:blue",
        label="95 % interval",
    )
    complete = frame["is_complete"].astype(bool)
    axes.plot(months, frame["nps"].astype(float), color="tab:blue", label="NPS")
    axes.plot(months[complete], frame["nps"][complete].astype(float), "o", color="tab:blue")
    axes.plot(
        months[~complete],
        frame["nps"][~complete].astype(float),
        "o",
        markerfacecolor="white",
        color="tab:blue",
        label="running month",
    )
    axes.axhline(target, linestyle="--", color="tab:green", label=f"target > {target:g}")
    axes.axhline(0, color="grey", linewidth=0.8)
    axes.set_ylabel("NPS (points)")
    axes.set_title("NPS per month, whole base", loc="left")
    axes.grid(alpha=0.3)
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=4, fontsize=8)
    return figure


def nps_by_breakdown(frame: pd.DataFrame, month: Any) -> Figure:
    """NPS of each segment and product in one month, with its interval as an error bar."""
    shown = frame.dropna(subset=["nps"]).reset_index(drop=True)
    labels = [
        f"{row.breakdown}: {row.breakdown_value}  n={row.responses:,}" for row in shown.itertuples()
    ]
    figure = Figure(figsize=(6, 1.2 + 0.35 * max(len(shown), 1)))
    axes = figure.add_subplot()
    axes.errorbar(
        shown["nps"].astype(float),
        range(len(shown)),
        xerr=[
            (shown["nps"] - shown["nps_ci_low"]).astype(float),
            (shown["nps_ci_high"] - shown["nps"]).astype(float),
        ],
        fmt="o",
        capsize=3,
    )
    axes.set_yticks(range(len(shown)), labels)
    axes.invert_yaxis()
    axes.axvline(0, color="grey", linewidth=0.8)
    axes.set_xlabel("NPS (points), 95 % interval")
    axes.set_title(f"NPS by segment and product, {pd.Timestamp(month):%Y-%m}", loc="left")
    axes.grid(axis="x", alpha=0.3)
    return figure


def nps_picture_metadata(
    connection: duckdb.DuckDBPyConnection,
    declaration: SqlAssetDeclaration,
    written: WrittenRows,
    options: Mapping[str, Any],
) -> dict[str, Any]:
    table = declaration.qualified_name
    overall = connection.execute(
        f"select * from (select * from {table} where breakdown = 'all' "
        f"order by month desc limit {TREND_MONTHS}) order by month"
    ).df()
    if overall.empty:
        return {}
    pictures = {
        "nps_trend": png_markdown(
            nps_trend(overall, nps_target()),
            f"NPS per month (whole base) with its 95 % interval, the latest {len(overall)} "
            "months; a gap is a month under the minimum sample.",
        )
    }
    latest = connection.execute(
        f"select max(month) from {table} where is_complete and breakdown <> 'all' "
        "and nps is not null"
    ).fetchone()
    if latest and latest[0] is not None:
        parts = connection.execute(
            f"select * from {table} where month = $month and breakdown <> 'all' "
            "order by breakdown, breakdown_value",
            {"month": latest[0]},
        ).df()
        pictures["nps_by_segment_and_product"] = png_markdown(
            nps_by_breakdown(parts, latest[0]),
            "NPS of each segment and product in the latest complete month, with its 95 % "
            "interval (breakdowns under the minimum sample are left out).",
        )
    return pictures


def theme_trends(frame: pd.DataFrame) -> Figure:
    """One small panel per theme: weekly feedback items as bars, the trailing mean as a line,
    the latest week's share of the feedback in the title."""
    themes = sorted(frame["theme"].unique())
    columns = 2
    rows = (len(themes) + columns - 1) // columns
    figure = Figure(figsize=(8, 1.6 * rows + 0.6), layout="constrained")
    panels = figure.subplots(rows, columns, sharex=True, squeeze=False)
    for index, theme in enumerate(themes):
        axes = panels[index // columns][index % columns]
        weeks = frame[frame["theme"] == theme]
        starts = pd.to_datetime(weeks["week_start"])
        axes.bar(starts, weeks["feedback_items"], width=5, color="tab:blue", alpha=0.6)
        axes.plot(starts, weeks["trailing_mean_items"].astype(float), color="tab:orange")
        latest = weeks.iloc[-1]
        share = latest["share_pct"]
        axes.set_title(
            f"{theme}: {share:.0f}% of the last week" if pd.notna(share) else theme,
            loc="left",
            fontsize=9,
        )
        axes.tick_params(labelsize=7)
        axes.tick_params(axis="x", labelrotation=30)
        axes.grid(alpha=0.3)
    for index in range(len(themes), rows * columns):
        panels[index // columns][index % columns].set_visible(False)
    figure.suptitle(
        "Feedback items per week (bars) and the trailing mean (line), complete weeks",
        x=0.01,
        ha="left",
        fontsize=10,
    )
    return figure


def theme_picture_metadata(
    connection: duckdb.DuckDBPyConnection,
    declaration: SqlAssetDeclaration,
    written: WrittenRows,
    options: Mapping[str, Any],
) -> dict[str, Any]:
    table = declaration.qualified_name
    frame = connection.execute(
        f"select * from {table} where is_complete and week_start >= "
        f"(select max(week_start) from {table} where is_complete) - {7 * (THEME_WEEKS - 1)} "
        "order by theme, week_start"
    ).df()
    if frame.empty:
        return {}
    return {
        "theme_trends": png_markdown(
            theme_trends(frame),
            f"Each theme's feedback per week over the latest {frame['week_start'].nunique()} "
            "complete weeks, with its trailing mean",
        )
    }


HOOKS: dict[str, CheckHook | MetadataHook] = {
    "nps_within_scale": within_scale(
        "nps_within_scale",
        "NPS and its interval lie within -100..100 points.",
    ),
    "sentiment_within_scale": within_scale(
        "sentiment_within_scale",
        "Mean sentiments lie within -1..1 (positive 1, neutral 0, negative -1).",
    ),
    "nps_groups_add_up": CheckHook(
        "Promoters + passives + detractors = answers on every row, and each month's segments "
        "and products each add up to its whole base.",
        nps_groups_add_up,
    ),
    "nps_pictures": MetadataHook(nps_picture_metadata),
    "theme_pictures": MetadataHook(theme_picture_metadata),
}
