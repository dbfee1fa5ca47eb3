"""Content cadence: what the SQL assets (assets/domains/content/assets.yaml) cannot say.

The posting targets are data a Content Creator edits (assets/domains/content/targets.yaml), not
settings: a list of rules, each checked here when the code location loads so that a mistake is
refused naming the file, the entry and the field, and written by `content/posting_targets` into
the warehouse, where the weekly SQL joins them to the posts. Here too: the check that every
post is counted once, and the pictures of posts against their targets and of the platforms'
trends.
"""

from collections.abc import Mapping
from typing import Any, Literal, Self

import dagster as dg
import duckdb
import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, PercentFormatter
from pydantic import Field, StrictInt, model_validator

from nexus_pipelines.metadata import png_markdown, table_metadata
from nexus_pipelines.partitions import PARTITIONS_TIMEZONE
from nexus_pipelines.project import Declaration, DeclarationError, Description, Identifier, Project
from nexus_pipelines.sql_assets import CheckHook, MetadataHook, SqlAssetDeclaration, WrittenRows
from nexus_pipelines.warehouse import TableRules, Warehouse, replace_where, warehouse_asset

DOMAIN = "content"
TARGETS_KEY = dg.AssetKey([DOMAIN, "posting_targets"])
TARGETS_TABLE = "content.posting_targets"
TARGETS_COLUMNS = {
    "rule": "varchar",
    "platform": "varchar",
    "post_types": "varchar[]",
    "per": "varchar",
    "at_least": "integer",
    "at_most": "integer",
    "target": "varchar",
    "evaluated_through": "date",
}
TARGETS_DESCRIPTIONS = {
    "rule": "The rule's name in targets.yaml.",
    "platform": "Platform whose posts the rule counts (raw.content_posts.platform).",
    "post_types": "The post types that count towards the rule (raw.content_posts.post_type).",
    "per": "week: the week's count is held against the bounds; day: each day's count is.",
    "at_least": "Fewest posts a week (per week) or a day (per day) that meet the rule.",
    "at_most": "Most posts a week or a day that meet the rule; empty: no upper bound.",
    "target": "The rule in words.",
    "evaluated_through": "The last complete day of data (yesterday in the reporting timezone, or "
    "the raw data's last day when it ends earlier): weeks are evaluated through it, so a day "
    "without posts after the last post still counts against the targets.",
}
# The latest complete weeks the pictures show: half a year, each week still readable.
PICTURE_WEEKS = 26
STATUS_COLOURS = {"met": "#2b8a3e", "below": "#c92a2a", "above": "#e67700"}


class PostingTarget(Declaration):
    """One entry of targets.yaml (the fields are described at the top of that file)."""

    name: Identifier
    platform: Identifier
    post_types: list[Identifier] = Field(min_length=1)
    per: Literal["week", "day"]
    at_least: StrictInt = Field(ge=0)
    at_most: StrictInt | None = Field(default=None, ge=0)
    target: Description

    @model_validator(mode="after")
    def _bounds_make_a_target(self) -> Self:
        if self.at_most is not None and self.at_most < self.at_least:
            raise ValueError(f"at_most ({self.at_most}) is below at_least ({self.at_least})")
        if self.at_least == 0 and self.at_most is None:
            raise ValueError("at_least 0 and no at_most: every count meets it, it is no target")
        if len(set(self.post_types)) != len(self.post_types):
            raise ValueError(f"post_types lists a type twice: {self.post_types}")
        return self


def load_targets(source: Project) -> list[PostingTarget]:
    """The posting targets, each checked against its schema; refused when there are none or a
    name is used twice, since weeks are judged rule by rule."""
    domain = source.domains[DOMAIN]
    path = domain.declarations_path("targets")
    targets = domain.validated("targets", PostingTarget)
    if not targets:
        raise DeclarationError(f"{path}: `targets:` lists no posting target")
    seen: set[str] = set()
    for target in targets:
        if target.name in seen:
            raise DeclarationError(f"{path}: entry {target.name!r}: name: used by two entries")
        seen.add(target.name)
    return targets


def _unmatched_targets(
    connection: duckdb.DuckDBPyConnection, targets: list[PostingTarget]
) -> list[str]:
    """The targets naming a platform, or a post type on it, that no loaded post has: most
    likely a typo, and a rule that can then never be met."""
    seen = {
        (platform, post_type)
        for platform, post_type in connection.execute(
            "select distinct platform, post_type from raw.content_posts"
        ).fetchall()
    }
    platforms = {platform for platform, _ in seen}
    unmatched = []
    for target in targets:
        if target.platform not in platforms:
            unmatched.append(f"{target.name}: no post on platform {target.platform!r}")
            continue
        missing = [kind for kind in target.post_types if (target.platform, kind) not in seen]
        if missing:
            unmatched.append(f"{target.name}: no {target.platform} post of type {missing}")
    return unmatched


def build_posting_targets_asset(source: Project) -> dg.AssetsDefinition:
    """The targets as a table the weekly SQL joins, and the day weeks are evaluated through."""
    targets = load_targets(source)
    where = source.domains[DOMAIN].declarations_path("targets")

    @warehouse_asset(
        key=TARGETS_KEY,
        description=(
            "The Content Creator's posting targets, one row per rule of "
            "assets/domains/content/targets.yaml (validated when the code location loads): a "
            "platform, the post types that count, and at_least / at_most posts per ISO week or "
            "per day. Weeks are evaluated through evaluated_through, the last complete day of "
            "data. The check warns about a rule naming a platform or post type no loaded post "
            "has (a typo makes a rule that can never be met)."
        ),
        owner="Content Creator",
        cadence="weekly",
        kinds=["python"],
        deps=[dg.AssetKey(["raw", "content_posts"])],
        check_specs=[
            dg.AssetCheckSpec(
                "targets_match_the_data",
                asset=TARGETS_KEY,
                description="Every target's platform, and each of its post types on that "
                "platform, appears in raw.content_posts (passes with nothing loaded).",
            )
        ],
        metadata={"targets_file": str(where)},
    )
    def posting_targets(warehouse: Warehouse) -> dg.MaterializeResult:
        with warehouse.get_connection() as connection:
            through = warehouse.run_as_of(connection)
            rows = [
                (
                    t.name,
                    t.platform,
                    t.post_types,
                    t.per,
                    t.at_least,
                    t.at_most,
                    t.target,
                    through,
                )
                for t in targets
            ]
            replace_where(
                connection,
                TARGETS_TABLE,
                rows,
                columns=TARGETS_COLUMNS,
                rules=TableRules(key=("rule",), non_negative=("at_least", "at_most")),
            )
            loaded = connection.execute("select count(*) from raw.content_posts").fetchall()
            unmatched = _unmatched_targets(connection, targets) if loaded[0][0] else []
            metadata = table_metadata(
                connection,
                TARGETS_TABLE,
                preview_sql=f"select * from {TARGETS_TABLE} order by platform, rule",
                descriptions=TARGETS_DESCRIPTIONS,
            )
        check = dg.AssetCheckResult(
            check_name="targets_match_the_data",
            passed=not unmatched,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={"unmatched_targets": "; ".join(unmatched) or "none"},
        )
        return dg.MaterializeResult(
            metadata=metadata | {"evaluated_through": through.isoformat()},
            check_results=[check],
        )

    return posting_targets


def build_assets(source: Project) -> list[dg.AssetsDefinition]:
    return [build_posting_targets_asset(source)]


# ------------------------------------------------------------------ checks and pictures
def posts_add_up(
    connection: duckdb.DuckDBPyConnection,
    declaration: SqlAssetDeclaration,
    written: WrittenRows,
    options: Mapping[str, Any],
) -> dg.AssetCheckResult:
    """Every post published through the evaluated day is counted once on its platform's rows,
    and each week's `all` row is the sum of that week's platform rows."""
    table = declaration.qualified_name
    counted = connection.execute(
        f"select coalesce(sum(posts), 0) from {table} where platform <> 'all'"
    ).fetchall()[0][0]
    published = connection.execute(
        "select count(*) from raw.content_posts where "
        "(published_at at time zone $tz)::date <= (select max(evaluated_through) "
        f"from {TARGETS_TABLE})",
        # the timezone the unpartitioned query cut its days in
        {"tz": PARTITIONS_TIMEZONE},
    ).fetchall()[0][0]
    weeks_off = connection.execute(
        f"select count(*) from (select week_start, sum(posts) filter (where platform <> 'all') "
        f"as platforms, sum(posts) filter (where platform = 'all') as total from {table} "
        "group by week_start) where platforms is distinct from total"
    ).fetchall()[0][0]
    return dg.AssetCheckResult(
        check_name="posts_add_up",
        passed=counted == published and weeks_off == 0,
        metadata={
            "posts_counted": int(counted),
            "posts_published": int(published),
            "weeks_whose_all_row_differs": int(weeks_off),
        },
    )


def _week_labels(weeks: pd.Series) -> list[str]:
    return [f"{pd.Timestamp(week):%Y-%m-%d}" for week in weeks]


def posting_vs_target_figure(frame: pd.DataFrame) -> Figure:
    """One panel per rule over the latest complete weeks: a weekly rule's posts against its
    band (at_least to at_most), a daily rule's days meeting it out of the week's 7; each bar
    coloured by the week's status (met, below, above)."""
    rules = list(dict.fromkeys(frame["rule"]))
    columns = 2 if len(rules) > 1 else 1
    rows = -(-len(rules) // columns)
    figure = Figure(figsize=(5 * columns, 2.1 * rows + 0.4), layout="constrained")
    axes_grid = figure.subplots(rows, columns, squeeze=False)
    for index, axes in enumerate(axes_grid.flat):
        if index >= len(rules):
            axes.set_visible(False)
            continue
        weeks = frame[frame["rule"] == rules[index]].sort_values("week_start")
        first = weeks.iloc[0]
        daily = first["per"] == "day"
        heights = weeks["days_met"] if daily else weeks["posts"]
        positions = range(len(weeks))
        colours = [STATUS_COLOURS.get(status, "#868e96") for status in weeks["status"]]
        axes.bar(positions, heights, color=colours, width=0.8)
        # a bar of height 0 is invisible: mark the weeks with nothing at all
        empty = [p for p, h in zip(positions, heights, strict=True) if h == 0]
        axes.scatter(empty, [0.15] * len(empty), marker="x", color=STATUS_COLOURS["below"])
        if daily:
            axes.axhline(7, color="#495057", linestyle="--", linewidth=1)
            axes.set_ylim(0, 7.5)
            axes.set_ylabel("days meeting it")
        else:
            top = first["at_most"] if pd.notna(first["at_most"]) else None
            if top is not None:
                axes.axhspan(first["at_least"], top, color="#2b8a3e", alpha=0.12)
            axes.axhline(first["at_least"], color="#495057", linestyle="--", linewidth=1)
            axes.set_ylim(0, max(float(heights.max()), top or 0, first["at_least"]) + 1)
            axes.set_ylabel("posts")
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        step = max(1, len(weeks) // 4)
        axes.set_xticks(list(positions)[::step], _week_labels(weeks["week_start"])[::step])
        axes.tick_params(labelsize=8)
        axes.set_title(f"{first['platform']}: {first['target']}", loc="left", fontsize=9)
    figure.suptitle(
        "Posts against target per ISO week (week starting; green met, red below, orange above)",
        fontsize=10,
    )
    return figure


def posting_vs_target_picture(
    connection: duckdb.DuckDBPyConnection,
    declaration: SqlAssetDeclaration,
    written: WrittenRows,
    options: Mapping[str, Any],
) -> dict[str, Any]:
    frame = connection.execute(
        f"select * from {declaration.qualified_name} where is_complete and week_start in "
        f"(select distinct week_start from {declaration.qualified_name} where is_complete "
        f"order by week_start desc limit {PICTURE_WEEKS}) order by rule, week_start"
    ).df()
    if frame.empty:
        return {}
    weeks = frame["week_start"].nunique()
    return {
        "posting_vs_target": png_markdown(
            posting_vs_target_figure(frame),
            f"Posts (weekly rules) or days meeting the rule (daily rules) in the latest {weeks} "
            "complete ISO weeks, against each target of targets.yaml",
        )
    }


def platform_trend_figure(frame: pd.DataFrame) -> Figure:
    """Adherence per platform and week as a grid (a platform's few targets make its adherence
    jump between a few values, which lines would turn into a zigzag), `all` in the last row;
    below it, each platform's engagement rate over the same weeks."""
    weeks = sorted(frame["week_start"].unique())
    platforms = [*sorted(set(frame["platform"]) - {"all"}), "all"]
    grid = (
        frame.pivot(index="platform", columns="week_start", values="adherence_pct")
        .reindex(index=platforms, columns=weeks)
        .astype(float)
    )
    figure = Figure(figsize=(10, 2.6 + 0.3 * len(platforms)), layout="constrained")
    adherence, engagement = figure.subplots(2, 1, height_ratios=[0.3 * len(platforms) + 0.6, 2.4])
    cmap = colormaps["RdYlGn"].with_extremes(bad="#f1f3f5")
    image = adherence.imshow(grid.to_numpy(), aspect="auto", cmap=cmap, vmin=0, vmax=100)
    for (row, column), value in np.ndenumerate(grid.to_numpy()):
        if not np.isnan(value):
            adherence.text(column, row, f"{value:.0f}", ha="center", va="center", fontsize=6.5)
    adherence.set_yticks(range(len(platforms)), platforms)
    step = max(1, len(weeks) // 6)
    adherence.set_xticks(range(0, len(weeks), step), _week_labels(pd.Series(weeks[::step])))
    adherence.tick_params(length=0, labelsize=8)
    adherence.set_title(
        "Adherence: % of the platform's targets met in the ISO week (grey: no targets)",
        loc="left",
        fontsize=10,
    )
    figure.colorbar(image, ax=adherence, format=PercentFormatter(), pad=0.01)
    for platform in platforms[:-1]:
        rows = frame[frame["platform"] == platform].sort_values("week_start")
        engagement.plot(rows["week_start"], 100 * rows["engagement_rate"], label=platform)
    engagement.set_ylabel("engagements / impressions", fontsize=9)
    engagement.yaxis.set_major_formatter(PercentFormatter())
    engagement.set_title("Engagement rate per platform", loc="left", fontsize=10)
    engagement.legend(fontsize=8, ncols=len(platforms), loc="upper left")
    engagement.grid(alpha=0.3)
    engagement.tick_params(labelsize=8)
    return figure


def platform_trend_picture(
    connection: duckdb.DuckDBPyConnection,
    declaration: SqlAssetDeclaration,
    written: WrittenRows,
    options: Mapping[str, Any],
) -> dict[str, Any]:
    table = declaration.qualified_name
    frame = connection.execute(
        f"select week_start, platform, adherence_pct, engagement_rate from {table} "
        f"where is_complete and week_start in (select distinct week_start from {table} "
        f"where is_complete order by week_start desc limit {PICTURE_WEEKS}) "
        "order by platform, week_start"
    ).df()
    if frame.empty:
        return {}
    return {
        "platform_trend": png_markdown(
            platform_trend_figure(frame),
            f"Adherence and engagement rate per platform, latest {frame['week_start'].nunique()} "
            "complete ISO weeks (all: every target)",
        )
    }


HOOKS: dict[str, CheckHook | MetadataHook] = {
    "posts_add_up": CheckHook(
        "Every post published through the evaluated day is counted once, on its platform's "
        "rows, and each week's `all` row is the sum of that week's platform rows.",
        posts_add_up,
    ),
    "posting_vs_target_picture": MetadataHook(posting_vs_target_picture),
    "platform_trend_picture": MetadataHook(platform_trend_picture),
}
