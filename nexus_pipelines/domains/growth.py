"""Growth and retention: what the generic SQL asset cannot do on its own (issue #3).

The growth tables themselves are SQL assets declared in assets/domains/growth/assets.yaml; the daily
cohort tables declare a look-back, so a daily run also rewrites the days (signup cohorts) that
late events can still change. This module adds, by name, the checks and pictures those
declarations ask for, and the churn-risk score, which needs a validation step in Python.
"""

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

import dagster as dg
import duckdb
import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from nexus_pipelines.metadata import markdown_table, png_markdown, table_metadata
from nexus_pipelines.project import Project
from nexus_pipelines.sql_assets import (
    CheckHook,
    MetadataHook,
    SqlAssetDeclaration,
    WrittenRows,
    rewritten_window,
)
from nexus_pipelines.warehouse import (
    TableRules,
    Warehouse,
    count_value,
    replace_where,
    warehouse_asset,
)

DOMAIN = "growth"
# Two years of monthly cohorts, about half a year of weekly ones: each row stays readable.
HEATMAP_COHORTS = 24
HEATMAP_PERIODS = 12


def cohorts_sum_to_signups(
    connection: duckdb.DuckDBPyConnection,
    declaration: SqlAssetDeclaration,
    written: WrittenRows,
    options: Mapping[str, Any],
) -> dg.AssetCheckResult:
    """The cohorts of the run's own window against growth.signups_by_channel_daily."""
    cohort_column = declaration.partition_column or declaration.key[0]
    period = {"signup_week": "week", "signup_month": "month"}.get(cohort_column)
    signup_cohort = f"date_trunc('{period}', signup_date)::date" if period else "signup_date"
    window = written.window
    params = {} if window is None else {"first": window.start.date(), "end": window.end.date()}

    def within(column: str) -> str:
        return "true" if window is None else f"{column} >= $first and {column} < $end"

    sizes = count_value(
        connection,
        f"select sum(size) from (select any_value({options['size_column']}) as size "
        f"from {declaration.qualified_name} where {within(cohort_column)} "
        f"group by {cohort_column})",
        params,
    )
    signups = count_value(
        connection,
        f"select sum(signups) from growth.signups_by_channel_daily where {within(signup_cohort)}",
        params,
    )
    return dg.AssetCheckResult(
        check_name="cohorts_sum_to_signups",
        passed=sizes == signups,
        metadata={"cohort_sizes": sizes, "signups": signups},
    )


def no_activity_before_signup(
    connection: duckdb.DuckDBPyConnection,
    declaration: SqlAssetDeclaration,
    written: WrittenRows,
    options: Mapping[str, Any],
) -> dg.AssetCheckResult:
    """Flag (not count) events in the rewritten window that happened before their user's signup."""
    if written.window is None:
        raise ValueError(f"{declaration.qualified_name}: this check needs a partitioned asset")
    start, end = rewritten_window(declaration, written.window)
    found = count_value(
        connection,
        "select count(*) from raw.events inner join raw.users using (user_id) "
        "where events.occurred_at >= $start and events.occurred_at < $end "
        "and events.occurred_at < users.signup_at",
        {"start": start, "end": end},
    )
    return dg.AssetCheckResult(
        check_name="no_activity_before_signup",
        passed=found == 0,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"events_before_signup": found},
    )


def _cohort_label(cohort: Any, size: int, monthly: bool) -> str:
    day = pd.Timestamp(cohort)
    return f"{day:%Y-%m}  n={size:,}" if monthly else f"{day:%Y-%m-%d}  n={size:,}"


def retention_heatmap(frame: pd.DataFrame, cohort: str, period: str) -> Figure:
    """The latest HEATMAP_COHORTS cohorts (oldest at the top, newest at the bottom) by periods
    0 to HEATMAP_PERIODS, every mature cell labelled with its 'on' retention; immature cells
    blank. The colours span 0 to the highest retention after period 0 (period 0 is about 100 %
    and would leave every later cell pale); a cell's text is white on dark colours."""
    cohorts = sorted(frame[cohort].unique())[-HEATMAP_COHORTS:]
    shown = frame[frame[cohort].isin(cohorts) & (frame[period] <= HEATMAP_PERIODS)]
    grid = shown.pivot(index=cohort, columns=period, values="retention_pct").astype(float)
    sizes = shown.groupby(cohort)["cohort_size"].first()
    later = grid.loc[:, grid.columns > 0].to_numpy()
    norm = Normalize(0, max(np.nanmax(later), 1) if np.isfinite(later).any() else 100)
    cmap = colormaps["YlGnBu"].with_extremes(bad="white")
    unit = period.removesuffix("_number")
    monthly = unit == "month"
    figure = Figure(figsize=(1.8 + 0.45 * len(grid.columns), 1.4 + 0.27 * len(grid.index)))
    axes = figure.add_subplot()
    axes.imshow(grid.to_numpy(), aspect="auto", cmap=cmap, norm=norm)
    for (row, column), value in np.ndenumerate(grid.to_numpy()):
        if not np.isnan(value):
            red, green, blue, _ = cmap(norm(value))
            dark = 0.299 * red + 0.587 * green + 0.114 * blue < 0.5
            axes.text(
                column,
                row,
                f"{value:.0f}%",
                ha="center",
                va="center",
                fontsize=8,
                color="white" if dark else "black",
            )
    axes.set_xticks(range(len(grid.columns)), [str(c) for c in grid.columns])
    axes.set_yticks(
        range(len(grid.index)), [_cohort_label(c, sizes[c], monthly) for c in grid.index]
    )
    axes.tick_params(length=0)
    axes.xaxis.set_ticks_position("top")
    axes.xaxis.set_label_position("top")
    axes.set_xlabel(f"{unit}s since the signup {unit} ({unit} 0 = the signup {unit})")
    axes.set_ylabel(f"signup {unit} cohort (n = users)")
    axes.set_title(f"% of each cohort active in {unit} N ('on' retention)", loc="left", pad=8)
    return figure


def retention_curve(frame: pd.DataFrame, period: str) -> Figure:
    """The 'on' and 'on or after' curves over mature cells, weighted by cohort size."""
    mature = frame.dropna(subset=["retention_pct"])
    weighted = (
        mature.assign(on=mature["retained_users"], after=mature["retained_on_or_after_users"])
        .groupby(period)[["on", "after", "cohort_size"]]
        .sum()
    )
    unit = period.removesuffix("_number")
    figure = Figure(figsize=(6, 3.5))
    axes = figure.add_subplot()
    for column, label in (("on", f"active in {unit} N"), ("after", f"active in {unit} N or later")):
        axes.plot(weighted.index, 100 * weighted[column] / weighted["cohort_size"], label=label)
    axes.set_xlabel(f"{unit}s since the signup {unit}")
    axes.set_ylabel("% of cohort (size-weighted)")
    axes.yaxis.set_major_formatter(PercentFormatter())
    axes.set_ylim(0, 100)
    axes.grid(alpha=0.3)
    axes.legend()
    return figure


def retention_pictures(frame: pd.DataFrame, cohort: str, period: str) -> dict[str, Any]:
    """A heat map of the latest cohorts and the size-weighted 'on' / 'on or after' curves."""
    cohorts = min(frame[cohort].nunique(), HEATMAP_COHORTS)
    unit = period.removesuffix("_number")
    return {
        "retention_heatmap": png_markdown(
            retention_heatmap(frame, cohort, period),
            f"'On' retention of the latest {cohorts} signup-{unit} cohorts (newest at the "
            f"bottom), {unit}s 0-{HEATMAP_PERIODS}; blank cells are {unit}s not complete yet.",
        ),
        "retention_curve": png_markdown(
            retention_curve(frame, period),
            "Retention curve over mature cells, weighted by cohort size",
        ),
    }


def retention_picture_metadata(
    connection: duckdb.DuckDBPyConnection,
    declaration: SqlAssetDeclaration,
    written: WrittenRows,
    options: Mapping[str, Any],
) -> dict[str, Any]:
    cohort, period = declaration.key
    frame = connection.execute(
        f"select * from {declaration.qualified_name} order by {cohort}, {period}"
    ).df()
    return retention_pictures(frame, cohort, period) if not frame.empty else {}


HOOKS: dict[str, CheckHook | MetadataHook] = {
    "cohorts_sum_to_signups": CheckHook(
        "The cohorts written add up to the signups of growth.signups_by_channel_daily over the "
        "same days.",
        cohorts_sum_to_signups,
    ),
    "no_activity_before_signup": CheckHook(
        "No event precedes its user's signup (such events are not counted; a failure flags "
        "how many there were).",
        no_activity_before_signup,
    ),
    "retention_pictures": MetadataHook(retention_picture_metadata),
}


CHURN_TABLE = "growth.churn_risk"
CHURN_KEY = dg.AssetKey([DOMAIN, "churn_risk"])
CHURN_QUERY = "sql/growth/churn_risk.sql"
# What each column means, shown with the column schema in the UI.
CHURN_DESCRIPTIONS = {
    "scored_on": "The last computed day of activity, the day the scores are as of.",
    "user_id": "The scored user, active in the {growth_churn_active_days} days up to scored_on.",
    "days_since_last_seen": "Days from the user's last active day to scored_on.",
    "recent_active_days": "Active days in the last {growth_churn_recent_days} days.",
    "baseline_active_days": "Active days in the {growth_churn_baseline_days} days before those.",
    "open_tickets": "Support tickets open at the end of scored_on.",
    "is_detractor": "Whether the user's latest NPS answer by scored_on was 0-6.",
    "risk_score": "Churn risk, 0-100 (weighted recency, activity drop, open ticket, detractor).",
    "risk_bucket": "high (score >= {growth_churn_high_score}), medium (>= "
    "{growth_churn_medium_score}) or low.",
}


def _churn_query(source: Project, scored_on: date) -> tuple[str, dict[str, Any]]:
    """The scoring query and its parameters as of `scored_on`."""
    sql = (source.sql_dir / DOMAIN / "churn_risk.sql").read_text(encoding="utf-8")
    return sql, source.query_parameters(sql, {"scored_on": scored_on}, CHURN_QUERY)


def score_users(
    connection: duckdb.DuckDBPyConnection, scored_on: date, source: Project
) -> pd.DataFrame:
    """The churn-risk scores of the users active in the active window up to `scored_on`."""
    return connection.execute(*_churn_query(source, scored_on)).df()


def validate_scores(
    connection: duckdb.DuckDBPyConnection, scored_on: date, horizon_days: int, source: Project
) -> pd.DataFrame:
    """Score as of `scored_on` and count who churned (not seen in the next horizon days)."""
    scores = score_users(connection, scored_on, source)
    seen = connection.execute(
        "select distinct user_id from growth.user_activity_days "
        "where activity_date > $scored_on and activity_date <= $scored_on + $horizon",
        {"scored_on": scored_on, "horizon": horizon_days},
    ).df()
    scores["churned"] = ~scores["user_id"].isin(seen["user_id"])
    by_bucket = scores.groupby("risk_bucket")["churned"].agg(users="size", churned="sum")
    by_bucket = by_bucket.reindex(["high", "medium", "low"], fill_value=0).reset_index()
    base_rate = scores["churned"].mean() if len(scores) else 0.0
    rate = by_bucket["churned"] / by_bucket["users"].where(by_bucket["users"] > 0)
    by_bucket["churn_rate_pct"] = (100 * rate).round(2)
    by_bucket["lift"] = (rate / base_rate).round(3) if base_rate else float("nan")
    return by_bucket


def _no_activity_to_score(
    context: dg.AssetExecutionContext, connection: duckdb.DuckDBPyConnection, source: Project
) -> dg.MaterializeResult:
    """The scores' table with its columns and no rows, and a note saying why."""
    sql, parameters = _churn_query(source, date.today())
    replace_where(connection, CHURN_TABLE, sql, rows_params=parameters, origin=CHURN_QUERY)
    note = "growth.user_activity_days is empty (no product events loaded): nobody to score."
    context.log.info(f"{CHURN_TABLE}: {note}")
    metadata = table_metadata(connection, CHURN_TABLE, descriptions=churn_descriptions(source))
    return dg.MaterializeResult(metadata=metadata | {"note": note})


def churn_descriptions(source: Project) -> dict[str, str]:
    """The column meanings with the settings they quote filled in."""
    return {
        name: source.described(text, f"{CHURN_TABLE}: {name}")
        for name, text in CHURN_DESCRIPTIONS.items()
    }


def build_churn_risk_asset(source: Project) -> dg.AssetsDefinition:
    """Churn-risk scores of today's active users, and how well last period's scores did."""

    @warehouse_asset(
        key=CHURN_KEY,
        description=source.described(
            "Churn risk per active user (active in the last {growth_churn_active_days} days, "
            "growth_churn_active_days), scored 0-100 as of the last computed day: "
            "{growth_churn_weight_recency:.0%} days since last seen / {growth_churn_active_days}, "
            "{growth_churn_weight_activity_drop:.0%} drop of the last {growth_churn_recent_days} "
            "days' active days against the user's own {growth_churn_baseline_days}-day baseline "
            "rate, {growth_churn_weight_open_ticket:.0%} an open support ticket, "
            "{growth_churn_weight_detractor:.0%} NPS detractor (latest answer 0-6); bucket high "
            ">= {growth_churn_high_score}, medium >= {growth_churn_medium_score}, else low (all "
            "settings). Checked, not assumed: the users scored one horizon "
            "({growth_churn_horizon_days} days) earlier are followed, and the high bucket's "
            "precision (share that churned: not seen in the {growth_churn_horizon_days} days "
            "after) and lift (precision / base churn rate) are published as metadata.",
            "growth/churn_risk",
        ),
        owner="Growth Hacker",
        cadence="weekly",
        kinds=["sql", "pandas"],
        deps=[
            dg.AssetKey([DOMAIN, "user_activity_days"]),
            dg.AssetKey(["raw", "support_tickets"]),
            dg.AssetKey(["raw", "nps_responses"]),
        ],
    )
    def churn_risk(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
        horizon = int(source.metric_settings["growth_churn_horizon_days"])
        with warehouse.get_connection() as connection:
            through = connection.execute(
                "select max(activity_date) from growth.user_activity_days"
            ).fetchone()
            scored_on = through[0] if through and through[0] else None
            if scored_on is None:  # no product events (a revenue-only company): an empty table
                return _no_activity_to_score(context, connection, source)
            scores = score_users(connection, scored_on, source)
            replace_where(connection, CHURN_TABLE, scores, rules=TableRules(key=("user_id",)))
            validation = validate_scores(
                connection, scored_on - timedelta(days=horizon), horizon, source
            )
            metadata = table_metadata(
                connection,
                CHURN_TABLE,
                preview_sql=f"select * from {CHURN_TABLE} order by risk_score desc limit 10",
                descriptions=churn_descriptions(source),
            )
        high = validation.set_index("risk_bucket").loc["high"]
        total_users, total_churned = (
            int(validation["users"].sum()),
            int(validation["churned"].sum()),
        )
        precision = float(high["churned"] / high["users"]) if high["users"] else None
        base = total_churned / total_users if total_users else None
        metadata |= {
            "scored_on": scored_on.isoformat(),
            "high_risk_users": int((scores["risk_bucket"] == "high").sum()),
            "validated_on": (scored_on - timedelta(days=horizon)).isoformat(),
            "high_risk_precision_pct": round(100 * precision, 2) if precision is not None else None,
            "base_churn_rate_pct": round(100 * base, 2) if base is not None else None,
            "high_risk_lift": round(precision / base, 3) if precision and base else None,
            "validation": dg.MetadataValue.md(markdown_table(validation)),
        }
        metadata = {k: v if v is not None else dg.MetadataValue.null() for k, v in metadata.items()}
        context.log.info(f"{CHURN_TABLE}: scored {len(scores)} users as of {scored_on}")
        return dg.MaterializeResult(metadata=metadata)

    return churn_risk


def build_assets(source: Project) -> list[dg.AssetsDefinition]:
    return [build_churn_risk_asset(source)]
