"""Content cadence (issue 12) on three weeks of posts whose every answer is worked out by hand.

The targets are the shipped assets/domains/content/targets.yaml (the playbook's): instagram 3-5
posts a week and a story every day, tiktok 3-5 videos a week, twitter a post/reply/thread every
day and a thread a week, reddit a post or reply every day. Reporting timezone UTC; ISO weeks
W1 = 2026-03-02 (Mon) .. 03-08, W2 = 03-09 .. 03-15, W3 = 03-16 .. (the data ends 03-17, Tue).
Posts (impressions, engagements; "1000/20" unless stated):
  instagram W1: posts ig_p1 03-03 1000/50, ig_p2 03-08 23:59:59 3000/30 (Sunday: still W1);
                stories every day 03-02..03-08, 500/20
            W2: posts ig_p3 03-09 2000/100, ig_p4 03-10 1000/50, ig_p5 03-11 1000/20,
                ig_p6 03-13 1000/20; stories every day but 03-12, 500/20
  tiktok    W1: six videos 03-02..03-07        W2: tt_v1 03-09 2000/100, tt_v2 03-11 1000/40,
                                                   tt_v3 03-13 50/40 (too few impressions to rank)
  twitter   W1: posts every day, but a reply on 03-04; thread tw_t1 03-05 1500/45
            W2: posts every day but 03-11; no thread        W3: a post 03-16
  reddit    W1: replies every day, a post on 03-05   W2: replies 03-09..03-13, 0/0
            W3: a reply 03-17
  linkedin  W1: li_1 03-04 800/8 (a platform without targets)
57 posts: W1 9 + 6 + 8 + 7 + 1 = 31, W2 10 + 3 + 6 + 5 = 24, W3 2.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pytest
import yaml
from matplotlib.colors import to_hex
from pictures import decoded_png
from report_runs import materialize
from test_adding_a_domain import copy_of_the_project

from nexus_pipelines.contract import load_contract
from nexus_pipelines.definitions import build_definitions
from nexus_pipelines.domains import content
from nexus_pipelines.project import DeclarationError, Project, project
from nexus_pipelines.warehouse import Warehouse

W1, W2, W3 = date(2026, 3, 2), date(2026, 3, 9), date(2026, 3, 16)
REPORT = dg.AssetKey(["content", "published_content_report"])
CONTENT_KEYS = {
    dg.AssetKey(["content", name])
    for name in (
        "posting_targets",
        "target_adherence_weekly",
        "platform_weekly",
        "top_posts_weekly",
        "published_content_report",
    )
}


def days(first: date, count: int, skip: tuple[int, ...] = ()) -> list[date]:
    """`count` days from `first`, leaving out the days of the month in `skip`."""
    return [d for d in (first + timedelta(n) for n in range(count)) if d.day not in skip]


def post(post_id, platform, post_type, day, impressions=1000, engagements=20, at="12:00:00"):
    return (post_id, platform, post_type, f"{day} {at}+00", impressions, engagements)


def daily(prefix, platform, post_type, on, impressions=1000, engagements=20):
    return [
        post(f"{prefix}_{d:%m%d}", platform, post_type, d, impressions, engagements) for d in on
    ]


POSTS = [
    post("ig_p1", "instagram", "post", "2026-03-03", 1000, 50),
    post("ig_p2", "instagram", "post", "2026-03-08", 3000, 30, at="23:59:59"),
    *daily("ig_s", "instagram", "story", days(W1, 7), 500, 20),
    post("ig_p3", "instagram", "post", "2026-03-09", 2000, 100),
    post("ig_p4", "instagram", "post", "2026-03-10", 1000, 50),
    post("ig_p5", "instagram", "post", "2026-03-11", 1000, 20),
    post("ig_p6", "instagram", "post", "2026-03-13", 1000, 20),
    *daily("ig_s", "instagram", "story", days(W2, 7, skip=(12,)), 500, 20),
    *daily("tt_w1", "tiktok", "video", days(W1, 6)),
    post("tt_v1", "tiktok", "video", "2026-03-09", 2000, 100),
    post("tt_v2", "tiktok", "video", "2026-03-11", 1000, 40),
    post("tt_v3", "tiktok", "video", "2026-03-13", 50, 40),
    *daily("tw", "twitter", "post", days(W1, 7, skip=(4,))),
    post("tw_0304", "twitter", "reply", "2026-03-04"),
    post("tw_t1", "twitter", "thread", "2026-03-05", 1500, 45),
    *daily("tw", "twitter", "post", days(W2, 7, skip=(11,))),
    post("tw_0316", "twitter", "post", "2026-03-16"),
    *daily("rd", "reddit", "reply", days(W1, 7, skip=(5,))),
    post("rd_0305", "reddit", "post", "2026-03-05"),
    *daily("rd", "reddit", "reply", days(W2, 5), 0, 0),
    post("rd_0317", "reddit", "reply", "2026-03-17", at="10:00:00"),
    post("li_1", "linkedin", "post", "2026-03-04", 800, 8),
]


def load_posts(warehouse: Warehouse, posts=POSTS) -> None:
    with warehouse.get_connection() as connection:
        for table in load_contract().values():
            connection.execute(table.ddl())
        if posts:
            connection.executemany("insert into raw.content_posts values (?, ?, ?, ?, ?, ?)", posts)


def content_assets(defs: dg.Definitions) -> list[dg.AssetsDefinition]:
    return [
        assets
        for assets in defs.assets
        if isinstance(assets, dg.AssetsDefinition) and set(assets.keys) <= CONTENT_KEYS
    ]


class Runs:
    """The tables' run and the report's run for its fortnight, read as one: report_runs cuts a
    report's run apart from the unpartitioned tables' run, as the schedules do."""

    def __init__(self, *results: dg.ExecuteInProcessResult) -> None:
        self.results = results
        self.success = all(result.success for result in results)

    def get_asset_materialization_events(self) -> list:
        return [e for result in self.results for e in result.get_asset_materialization_events()]

    def get_asset_check_evaluations(self) -> list:
        return [c for result in self.results for c in result.get_asset_check_evaluations()]


def materialize_content(
    warehouse: Warehouse, defs: dg.Definitions | None = None, report: bool = True
) -> Runs:
    """The content tables, then (unless told) the report for the fortnight of the data's end."""
    assets = content_assets(defs or build_definitions())
    assert {key for a in assets for key in a.keys} == CONTENT_KEYS
    [the_report] = [a for a in assets if REPORT in a.keys]
    instance = dg.DagsterInstance.ephemeral()
    resources = {"warehouse": warehouse}
    tables = dg.materialize(
        [a for a in assets if a is not the_report], resources=resources, instance=instance
    )
    if not report:
        return Runs(tables)
    return Runs(tables, materialize([the_report], resources, instance))


def frame(warehouse: Warehouse, sql: str) -> pd.DataFrame:
    with warehouse.get_connection(read_only=True) as connection:
        return connection.execute(sql).df()


@pytest.fixture
def materialized(warehouse: Warehouse):
    load_posts(warehouse)
    result = materialize_content(warehouse)
    assert result.success
    return result


def test_the_shipped_targets_are_the_playbooks() -> None:
    targets = {
        t.name: (t.platform, t.post_types, t.per, t.at_least, t.at_most)
        for t in content.load_targets(project())
    }
    assert targets == {
        "instagram_posts": ("instagram", ["post"], "week", 3, 5),
        "instagram_daily_stories": ("instagram", ["story"], "day", 1, None),
        "tiktok_videos": ("tiktok", ["video"], "week", 3, 5),
        "twitter_daily_engagement": ("twitter", ["post", "reply", "thread"], "day", 1, None),
        "twitter_weekly_thread": ("twitter", ["thread"], "week", 1, None),
        "reddit_daily_engagement": ("reddit", ["post", "reply"], "day", 1, None),
    }


def test_posts_against_each_target_by_hand(warehouse: Warehouse, materialized) -> None:
    """Per rule and week: posts counted (days_met for a daily rule), status, met.
    W1: instagram 2 posts < 3: below, though every day had a story (7 of 7: met); tiktok 6 > 5:
    above; twitter posted or replied on all 7 days (8 counting posts: 6 posts, a reply, the
    thread) and threaded once: both met; reddit 7 of 7 days: met.
    W2: instagram 4 posts: met, stories on 6 days (none 03-12): below; tiktok 3 (tt_v3 counts:
    ranking needs impressions, counting does not): met; twitter silent on 03-11 (6 of 7 days):
    below, no thread: below; reddit 5 of 7 days: below.
    W3 (Mon-Tue only, 2 days observed): not judged."""
    rules = frame(
        warehouse,
        "select week_start, rule, days_observed, posts, days_met, status, met "
        "from content.target_adherence_weekly order by week_start, rule",
    )
    got = {
        (row.week_start.date(), row.rule): (
            row.days_observed,
            row.posts,
            None if pd.isna(row.days_met) else int(row.days_met),
            row.status,
            None if pd.isna(row.met) else bool(row.met),
        )
        for row in rules.itertuples()
    }
    assert got == {
        (W1, "instagram_daily_stories"): (7, 7, 7, "met", True),
        (W1, "instagram_posts"): (7, 2, None, "below", False),
        (W1, "reddit_daily_engagement"): (7, 7, 7, "met", True),
        (W1, "tiktok_videos"): (7, 6, None, "above", False),
        (W1, "twitter_daily_engagement"): (7, 8, 7, "met", True),
        (W1, "twitter_weekly_thread"): (7, 1, None, "met", True),
        (W2, "instagram_daily_stories"): (7, 6, 6, "below", False),
        (W2, "instagram_posts"): (7, 4, None, "met", True),
        (W2, "reddit_daily_engagement"): (7, 5, 5, "below", False),
        (W2, "tiktok_videos"): (7, 3, None, "met", True),
        (W2, "twitter_daily_engagement"): (7, 6, 6, "below", False),
        (W2, "twitter_weekly_thread"): (7, 0, None, "below", False),
        (W3, "instagram_daily_stories"): (2, 0, 0, "incomplete", None),
        (W3, "instagram_posts"): (2, 0, None, "incomplete", None),
        (W3, "reddit_daily_engagement"): (2, 1, 1, "incomplete", None),
        (W3, "tiktok_videos"): (2, 0, None, "incomplete", None),
        (W3, "twitter_daily_engagement"): (2, 1, 1, "incomplete", None),
        (W3, "twitter_weekly_thread"): (2, 0, None, "incomplete", None),
    }
    through = frame(warehouse, "select distinct evaluated_through from content.posting_targets")
    assert through["evaluated_through"].tolist() == [pd.Timestamp("2026-03-17")]


def test_adherence_and_engagement_rate_per_platform_by_hand(
    warehouse: Warehouse, materialized
) -> None:
    """Adherence = targets met / targets of the platform x 100 (from the rules above):
      W1 instagram 1/2 = 50, tiktok 0/1 = 0, twitter 2/2 = 100, reddit 1/1 = 100, all 4/6;
      W2 instagram 1/2 = 50, tiktok 1/1 = 100, twitter 0/2 = 0, reddit 0/1 = 0, all 2/6;
      linkedin has no target: no adherence; W3 is not judged.
    Engagement rate = engagements / impressions over the week's posts:
      W1 instagram (50 + 30 + 7 x 20) / (1000 + 3000 + 7 x 500) = 220 / 7500;
         twitter (7 x 20 + 45) / (7 x 1000 + 1500) = 185 / 8500; linkedin 8 / 800;
         all (220 + 120 + 185 + 140 + 8) / (7500 + 6000 + 8500 + 7000 + 800) = 673 / 29800;
      W2 instagram (100 + 50 + 20 + 20 + 6 x 20) / (2000 + 1000 + 1000 + 1000 + 6 x 500)
         = 310 / 8000; tiktok (100 + 40 + 40) / (2000 + 1000 + 50) = 180 / 3050;
         reddit 0 / 0: no rate; linkedin no post: no rate;
         all (310 + 180 + 120 + 0) / (8000 + 3050 + 6000) = 610 / 17050."""
    weekly = frame(warehouse, "from content.platform_weekly order by week_start, platform")
    got = {
        (row.week_start.date(), row.platform): (
            row.posts,
            row.impressions,
            row.engagements,
            None if pd.isna(row.engagement_rate) else round(row.engagement_rate, 6),
            row.rules,
            None if pd.isna(row.adherence_pct) else row.adherence_pct,
        )
        for row in weekly.itertuples()
    }
    assert got == {
        (W1, "all"): (31, 29800, 673, round(673 / 29800, 6), 6, 66.67),
        (W1, "instagram"): (9, 7500, 220, round(220 / 7500, 6), 2, 50.0),
        (W1, "linkedin"): (1, 800, 8, 0.01, 0, None),
        (W1, "reddit"): (7, 7000, 140, 0.02, 1, 100.0),
        (W1, "tiktok"): (6, 6000, 120, 0.02, 1, 0.0),
        (W1, "twitter"): (8, 8500, 185, round(185 / 8500, 6), 2, 100.0),
        (W2, "all"): (24, 17050, 610, round(610 / 17050, 6), 6, 33.33),
        (W2, "instagram"): (10, 8000, 310, round(310 / 8000, 6), 2, 50.0),
        (W2, "linkedin"): (0, 0, 0, None, 0, None),
        (W2, "reddit"): (5, 0, 0, None, 1, 0.0),
        (W2, "tiktok"): (3, 3050, 180, round(180 / 3050, 6), 1, 100.0),
        (W2, "twitter"): (6, 6000, 120, 0.02, 2, 0.0),
        (W3, "all"): (2, 2000, 40, 0.02, 6, None),
        (W3, "instagram"): (0, 0, 0, None, 2, None),
        (W3, "linkedin"): (0, 0, 0, None, 0, None),
        (W3, "reddit"): (1, 1000, 20, 0.02, 1, None),
        (W3, "tiktok"): (0, 0, 0, None, 1, None),
        (W3, "twitter"): (1, 1000, 20, 0.02, 2, None),
    }
    [event] = [
        e
        for e in materialized.get_asset_materialization_events()
        if e.asset_key == dg.AssetKey(["content", "platform_weekly"])
    ]
    metadata = event.materialization.metadata
    # the headline: every target's adherence in the latest complete week (W2), 2 of 6
    assert metadata["adherence_pct_last_complete_week"].value == 33.33
    checks = {c.check_name: c.passed for c in materialized.get_asset_check_evaluations()}
    assert checks == {
        "targets_match_the_data": True,
        "write_rules": True,
        "posts_add_up": True,
    }


def test_best_and_worst_posts_by_hand(warehouse: Warehouse, materialized) -> None:
    """Ranked by engagement rate within the platform's week, posts with >= 100 impressions:
    W1 instagram best ig_p1 50/1000 = 0.05 (stories 0.04), worst ig_p2 30/3000 = 0.01;
    W1 twitter best tw_t1 45/1500 = 0.03; worst: seven at 0.02 with 1000 impressions, the
       first post_id, tw_0302;
    W2 instagram best: ig_p3 100/2000 and ig_p4 50/1000 tie at 0.05, ig_p3 has more
       engagements; worst: ig_p5 and ig_p6 tie at 0.02 with 1000 impressions: ig_p5;
    W2 tiktok best tt_v1 0.05, worst tt_v2 0.04; tt_v3 (40/50 = 0.8) has 50 impressions: not
       ranked, so 2 ranked posts;
    W2 reddit: no post with impressions: no pick."""
    picks = frame(
        warehouse,
        "select week_start, platform, pick, post_id, engagement_rate, ranked_posts "
        "from content.top_posts_weekly",
    )
    got = {
        (row.week_start.date(), row.platform, row.pick): (
            row.post_id,
            round(row.engagement_rate, 4),
            row.ranked_posts,
        )
        for row in picks.itertuples()
    }
    assert got[(W1, "instagram", "best")] == ("ig_p1", 0.05, 9)
    assert got[(W1, "instagram", "worst")] == ("ig_p2", 0.01, 9)
    assert got[(W1, "twitter", "best")] == ("tw_t1", 0.03, 8)
    assert got[(W1, "twitter", "worst")] == ("tw_0302", 0.02, 8)
    assert got[(W2, "instagram", "best")] == ("ig_p3", 0.05, 10)
    assert got[(W2, "instagram", "worst")] == ("ig_p5", 0.02, 10)
    assert got[(W2, "tiktok", "best")] == ("tt_v1", 0.05, 2)
    assert got[(W2, "tiktok", "worst")] == ("tt_v2", 0.04, 2)
    assert (W2, "reddit", "best") not in got and (W2, "reddit", "worst") not in got


def report_section(report: str, title: str) -> list[str]:
    """The table rows of one section of a rendered report (its header and rule left out)."""
    section = report.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]
    return [line for line in section.splitlines() if line.startswith("|")][2:]


def test_the_fortnights_published_content_report(warehouse: Warehouse, materialized) -> None:
    """The report is as of the data's end, Tuesday 03-17 (its partition is W3's); its fortnight is
    the two complete ISO weeks up to then, W1 + W2 (W3 is not over); adherence counts each target
    once a week.
      instagram 9 + 10 = 19 posts, targets met 1 + 1 of 2 + 2 = 50 %, engagement
        (220 + 310) / (7500 + 8000) = 3.42 %; tiktok 6 + 3, met 0 + 1 of 2, (120 + 180) /
        (6000 + 3050) = 3.31 %; twitter 8 + 6, 2 + 0 of 4, (185 + 120) / (8500 + 6000) = 2.10 %;
        reddit 7 + 5, 1 + 0 of 2, 140 / 7000 = 2.00 %; linkedin 1 post, no target;
        all 31 + 24 = 55, 6 of 12, (673 + 610) / (29800 + 17050) = 2.74 %.
    Best instagram post of the fortnight: ig_p1 (W1) and ig_p3 (W2) tie at 0.05, ig_p3 has more
    engagements; worst: ig_p2 (0.01) below W2's worst, ig_p5 (0.02). The misses are the six
    rule-weeks the weekly table marks below or above."""
    [event] = [
        e
        for e in materialized.get_asset_materialization_events()
        if e.asset_key == dg.AssetKey(["content", "published_content_report"])
    ]
    report = event.materialization.metadata["report"].value
    assert event.materialization.metadata["as_of"].value == "2026-03-17"
    assert report_section(report, "Per platform, the fortnight") == [
        "| 2026-03-02 | instagram | 19 | 2 | 4 | 50.00 | 3.42 |",
        "| 2026-03-02 | linkedin | 1 | 0 | 0 |  | 1.00 |",
        "| 2026-03-02 | reddit | 12 | 1 | 2 | 50.00 | 2.00 |",
        "| 2026-03-02 | tiktok | 9 | 1 | 2 | 50.00 | 3.31 |",
        "| 2026-03-02 | twitter | 14 | 2 | 4 | 50.00 | 2.10 |",
        "| 2026-03-02 | all | 55 | 6 | 12 | 50.00 | 2.74 |",
    ]
    missed = [row.split(" | ")[2:7:4] for row in report_section(report, "Targets missed")]
    assert missed == [
        ["instagram_daily_stories", "below |"],
        ["instagram_posts", "below |"],
        ["reddit_daily_engagement", "below |"],
        ["tiktok_videos", "above |"],
        ["twitter_daily_engagement", "below |"],
        ["twitter_weekly_thread", "below |"],
    ]
    picks = [
        row.split(" | ")[:3] for row in report_section(report, "Best and worst post per platform")
    ]
    assert picks[:2] == [["| instagram", "best", "ig_p3"], ["| instagram", "worst", "ig_p2"]]
    assert picks[6:8] == [["| tiktok", "best", "tt_v1"], ["| tiktok", "worst", "tt_w1_0302"]]


def report_of_week(warehouse: Warehouse, week: date) -> str:
    """The report of the bi-weekly partition of ISO week `week` (the fortnight ending with it), as
    a backfill renders a past period."""
    [report] = [a for a in content_assets(build_definitions()) if REPORT in a.keys]
    result = dg.materialize(
        [report], resources={"warehouse": warehouse}, partition_key=week.isoformat()
    )
    assert result.success
    [event] = result.asset_materializations_for_node("content__published_content_report")
    return event.metadata["report"].value


def test_a_past_fortnight_is_its_own_and_one_before_the_data_says_so(
    warehouse: Warehouse, materialized
) -> None:
    """W1's partition is as of Sunday 03-08: the fortnight 02-23 .. 03-08 holds W1 only.
    instagram 9 posts, targets met 1 of 2 (posts 2: below 3-5; stories 7 of 7 days), engagement
    (50 + 30 + 7 x 20) / (1000 + 3000 + 7 x 500) = 220 / 7500 = 2.93 %; all 31 posts, targets
    met W1's 1 + 0 + 2 + 1 = 4 of 6 (66.7 %), engagement 673 / 29800 = 2.26 %. The partition of
    02-16 (as of 02-22, the fortnight 02-09 .. 02-22) has no posts: one row says so."""
    report = report_of_week(warehouse, W1)
    assert "as of 2026-03-08" in report
    rows = report_section(report, "Per platform, the fortnight")
    assert rows[0] == "| 2026-03-02 | instagram | 9 | 1 | 2 | 50.00 | 2.93 |"
    assert rows[-1] == "| 2026-03-02 | all | 31 | 4 | 6 | 66.70 | 2.26 |"
    before = report_of_week(warehouse, W1 - timedelta(14))
    assert report_section(before, "Per platform, the fortnight") == [
        "| 2026-02-09 | none: no posts in the fortnight | 0 |  |  |  |  |"
    ]
    assert report_section(before, "Targets missed") == []


def test_the_picture_shows_posts_against_each_target(warehouse: Warehouse, materialized) -> None:
    """One panel per rule; instagram_posts' bars are W1's 2 posts (red: below) and W2's 4
    (green: met), over the band 3-5; a daily rule's bars are days meeting it, out of 7."""
    weeks = frame(
        warehouse,
        "from content.target_adherence_weekly where is_complete order by rule, week_start",
    )
    figure = content.posting_vs_target_figure(weeks)
    panels = {axes.get_title(loc="left"): axes for axes in figure.axes if axes.get_visible()}
    assert len(panels) == 6
    instagram = panels["instagram: 3-5 feed posts a week"]
    heights = [bar.get_height() for bar in instagram.patches if bar.get_width() == 0.8]
    colours = [bar.get_facecolor() for bar in instagram.patches if bar.get_width() == 0.8]
    assert heights == [2, 4]
    assert [to_hex(c) for c in colours] == ["#c92a2a", "#2b8a3e"]
    stories = panels["instagram: a story every day"]
    assert [bar.get_height() for bar in stories.patches if bar.get_width() == 0.8] == [7, 6]
    [event] = [
        e
        for e in materialized.get_asset_materialization_events()
        if e.asset_key == dg.AssetKey(["content", "target_adherence_weekly"])
    ]
    picture = decoded_png(event.materialization.metadata["posting_vs_target"].value)
    assert picture.size[0] > 1000


def test_the_adherence_grid_holds_each_platforms_weeks(warehouse: Warehouse, materialized) -> None:
    """Rows are the platforms (all last), columns the complete weeks W1, W2; the cells are the
    adherence worked out by hand above; linkedin, without targets, is an empty (grey) row."""
    weeks = frame(
        warehouse,
        "select week_start, platform, adherence_pct, engagement_rate from content.platform_weekly "
        "where is_complete order by platform, week_start",
    )
    figure = content.platform_trend_figure(weeks)
    grid, lines = figure.axes[:2]  # the colour bar is the third
    assert [label.get_text() for label in grid.get_yticklabels()] == [
        "instagram",
        "linkedin",
        "reddit",
        "tiktok",
        "twitter",
        "all",
    ]
    cells = grid.images[0].get_array()
    assert cells.filled(-1).round(2).tolist() == [
        [50.0, 50.0],
        [-1, -1],
        [100.0, 0.0],
        [0.0, 100.0],
        [100.0, 0.0],
        [66.67, 33.33],
    ]
    # engagement rate in %, per platform: W1 instagram 220 / 7500, W2 310 / 8000
    instagram = next(line for line in lines.get_lines() if line.get_label() == "instagram")
    assert [round(y, 4) for y in instagram.get_ydata()] == [round(22000 / 7500, 4), 3.875]
    [event] = [
        e
        for e in materialized.get_asset_materialization_events()
        if e.asset_key == dg.AssetKey(["content", "platform_weekly"])
    ]
    assert decoded_png(event.materialization.metadata["platform_trend"].value).size[0] > 1000


def test_days_without_posts_after_the_last_post_count_as_misses(warehouse: Warehouse) -> None:
    """The days judged run to evaluated_through, the last complete day of any data, not to the
    last post. Reddit replies Mon 03-02 .. Sat 03-07, twitter posts every day of W1, then both
    go silent while the product's events run to Sunday 03-15: reddit's W1 is 6 of 7 days
    (below), twitter's 7 of 7 (met); W2 is judged, complete and empty: 0 of 7 days for both."""
    posts = [
        *daily("rd", "reddit", "reply", days(W1, 6)),
        *daily("tw", "twitter", "post", days(W1, 7)),
    ]
    load_posts(warehouse, posts)
    with warehouse.get_connection() as connection:
        connection.execute(
            "insert into raw.events "
            "values (1, 1, '2026-03-15 18:00:00+00', 'session_start', 'core')"
        )
    assert materialize_content(warehouse).success
    rules = frame(
        warehouse,
        "select week_start, rule, days_met, status from content.target_adherence_weekly "
        "where rule like 'reddit%' or rule = 'twitter_daily_engagement' order by all",
    )
    assert [(row[0].date(), *row[1:]) for row in rules.values.tolist()] == [
        (W1, "reddit_daily_engagement", 6, "below"),
        (W1, "twitter_daily_engagement", 7, "met"),
        (W2, "reddit_daily_engagement", 0, "below"),
        (W2, "twitter_daily_engagement", 0, "below"),
    ]


def project_with_targets(tmp_path: Path, targets: list[dict]) -> Path:
    root = copy_of_the_project(tmp_path / "project")
    path = root / "assets/domains/content/targets.yaml"
    path.write_text(yaml.safe_dump({"targets": targets}), encoding="utf-8")
    return root


SHIPPED = yaml.safe_load(
    (Path(__file__).parents[1] / "assets/domains/content/targets.yaml").read_text()
)["targets"]


@pytest.mark.parametrize(
    ("change", "entry", "words"),
    [
        ({"at_most": 2}, "tiktok_videos", ["at_most (2) is below at_least (3)"]),
        ({"per": "month"}, "tiktok_videos", ["per", "'week'", "'day'"]),
        ({"at_least": "three"}, "tiktok_videos", ["at_least", "integer"]),
        ({"post_types": []}, "tiktok_videos", ["post_types", "at least 1 item"]),
        ({"platform": "Tik Tok"}, "tiktok_videos", ["platform", "snake_case"]),
        ({"at_least": 0, "at_most": None}, "tiktok_videos", ["no target"]),
        ({"colour": "red"}, "tiktok_videos", ["colour", "Extra inputs are not permitted"]),
        ({"name": "instagram_posts"}, "instagram_posts", ["name: used by two entries"]),
    ],
)
def test_a_malformed_targets_file_is_refused_naming_file_entry_and_field(
    tmp_path: Path, change: dict, entry: str, words: list[str]
) -> None:
    targets = [dict(t, **change) if t["name"] == "tiktok_videos" else t for t in SHIPPED]
    root = project_with_targets(tmp_path, targets)
    with pytest.raises(DeclarationError) as raised:
        build_definitions(Project(root))
    message = str(raised.value)
    assert str(root / "assets/domains/content/targets.yaml") in message
    assert f"entry {entry!r}" in message
    for word in words:
        assert word in message, message


def test_an_empty_targets_file_is_refused(tmp_path: Path) -> None:
    root = project_with_targets(tmp_path, [])
    with pytest.raises(DeclarationError, match="lists no posting target"):
        build_definitions(Project(root))


def test_a_target_no_post_matches_is_a_warning(tmp_path: Path, warehouse: Warehouse) -> None:
    """A typo ('instagramm') makes a rule no post can meet: the targets load, and their check
    warns naming it; the rule is missed every week."""
    typo = [
        dict(t, platform="instagramm") if t["name"] == "instagram_posts" else t for t in SHIPPED
    ]
    root = project_with_targets(tmp_path, typo)
    load_posts(warehouse)
    result = materialize_content(warehouse, build_definitions(Project(root)))
    assert result.success
    [check] = [
        c for c in result.get_asset_check_evaluations() if c.check_name == "targets_match_the_data"
    ]
    assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN
    assert check.metadata["unmatched_targets"].value == (
        "instagram_posts: no post on platform 'instagramm'"
    )
    missed = frame(
        warehouse,
        "select posts, status from content.target_adherence_weekly "
        "where rule = 'instagram_posts' and is_complete order by week_start",
    )
    assert missed.values.tolist() == [[0, "below"], [0, "below"]]


def test_no_posts_loaded_leaves_empty_tables_not_failures(warehouse: Warehouse) -> None:
    """(Without data the report would be as of yesterday, whose ISO week is not over: a weekly
    partition is a complete week, so its report is shown before the data on a past fortnight.)"""
    load_posts(warehouse, [])
    result = materialize_content(warehouse, report=False)
    assert result.success
    assert all(c.passed for c in result.get_asset_check_evaluations())
    for table in ("target_adherence_weekly", "platform_weekly", "top_posts_weekly"):
        assert frame(warehouse, f"select count(*) as n from content.{table}")["n"][0] == 0


def test_weeks_are_cut_in_the_reporting_timezone() -> None:
    """A Sunday-evening post in New York is Monday in UTC: the week it belongs to follows the
    reporting timezone. (Shown on the macro the queries share, over an in-memory table.)"""
    connection = duckdb.connect()
    connection.execute("set TimeZone = 'UTC'")
    connection.execute("create schema raw; create schema content")
    connection.execute(load_contract()["content_posts"].ddl())
    connection.execute(
        "create table content.posting_targets as select date '2026-03-17' as evaluated_through"
    )
    connection.execute(
        "insert into raw.content_posts values "
        "('a', 'reddit', 'reply', '2026-03-09 02:00:00+00', 10, 1)"
    )
    connection.execute((project().sql_dir / "content" / "_macros.sql").read_text())
    weeks = {
        zone: connection.execute(
            "select week_start from content.evaluated_posts($zone)", {"zone": zone}
        ).fetchall()
        for zone in ("UTC", "America/New_York")
    }
    assert weeks == {"UTC": [(W2,)], "America/New_York": [(W1,)]}
