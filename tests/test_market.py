"""The market domain: market.brand_mentions_monthly, the Monthly Market Brief and the Brand Health
Report on small hand-worked inputs (times UTC, the reporting timezone of the tests), each report
as of the data's last day, 2025-09-20: the month reported is September 2025 through the 20th,
against August.

Market signals (id, day, category, subject, impact, strength):
  s1 06-28 competitor Northwind Analytics opportunity 5   (June: outside every window)
  s2 07-10 competitor Northwind Analytics threat 3
  s3 08-05 pricing    Northwind Analytics threat 4
  s4 08-20 technology AI assistants       opportunity 2
  s5 09-02 technology AI assistants       opportunity 4
  s6 09-10 regulation EU AI Act           threat 5
  s7 09-15 competitor Contoso Insights    threat (no strength)
  s8 09-20 competitor Northwind Analytics neutral 4
By hand, September against August: competitor threat 1 / 0 (+1), competitor neutral 1 / 0
  (+1), pricing threat 0 / 1 (-1), regulation threat 1 / 0 (+1), technology opportunity 1 / 1
  (0); all: opportunity 1 / 1, threat 2 / 1, neutral 1 / 0. Strongest (5 listed, September
  has 4): s6 (5), s8 (4, the 20th), s5 (4, the 2nd), s7 (no strength, last). Recurring in at
  least 2 of July-September: Northwind Analytics in 3 months (s2, s3, s8: 2 threats, categories
  competitor and pricing, 07-10 to 09-20, latest s8's summary; s1 is June's), AI assistants in
  2 (s4, s5: 2 opportunities); EU AI Act and Contoso in one month only.

NPS answers (voice.nps_monthly, at least 30 answers for an NPS; margin = 1.96 x 100 x
sqrt((p + d - (p - d)^2) / n)):
  March 10 x 10 (outside the 6 months April-September); July 10 x 9 (10 answers: NULL);
  August 20 x 10, 10 x 8, 10 x 3: n 40, p 0.5, d 0.25, NPS 25, margin 196 x sqrt(0.6875 / 40)
    = 25.696 -> -0.70 to 50.70;
  September 12 x 10, 6 x 8, 12 x 0: n 30, NPS 0, margin 196 x sqrt(0.8 / 30) = 32.007 ->
    -32.01 to 32.01; change 0 - 25 = -25.
Feedback (voice.feedback_themes_weekly; positive 1, neutral 0, negative -1), weeks complete by
  09-20: week of 09-01: positive, neutral -> 2 items, mean 0.5, negative 0; week of 09-08:
  positive, negative, negative -> 3 items, mean -1/3, negative 2/3; week of 09-15 (ends 09-21,
  after the as-of day): left out.
Content posts: August twitter 1000/30 and 1000/50 (impressions/engagements); September twitter
  2000/100, linkedin 500/10. September against August: twitter 1 / 2 posts, 2000/100 = 5 %
  against 2000/80 = 4 % (+1 pp); linkedin 1 / 0, 2 %, none before; all 2 / 2, 2500/110 = 4.4 %
  against 4 % (+0.4 pp).
Brand mentions (day, channel, sentiment, reach, on_brand):
  August: 08-10 social 0.5 100 yes; 08-11 social -0.2 (reach unknown) no; 08-12 news 0.8 1000
    (not reviewed).
  September: 09-01 social -0.5 200 yes; 09-01 social 0.1 300 yes; 09-05 review -0.4 (unknown,
    not reviewed); 09-20 23:30 social 0.3 50 no.
By hand: August social 2, reach 100, mean 0.15, negative 1/2, on-brand 1/2; news 1, 1000, 0.8,
  negative 0, none reviewed; review 0. September social 3, reach 550, mean -0.1/3 = -0.0333,
  negative 1/3, on-brand 2/3; news 0; review 1, reach 0 known, mean -0.4, negative 1/1, none
  reviewed. All: August 3, 1100, 1.1/3 = 0.3667, negative 1/3, on-brand 1/2; September 4, 550,
  -0.5/4 = -0.125, negative 2/4, on-brand 2/3.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import dagster as dg
import duckdb
import yaml
from deployment import NEXUS, deployment, open_instance
from report_runs import materialize

from nexus_pipelines.ingest import ensure_ingest_tables
from nexus_pipelines.reports import build_report_assets
from nexus_pipelines.settings import PROJECT_DIR
from nexus_pipelines.sql_assets import build_sql_asset, load_declarations
from nexus_pipelines.warehouse import Warehouse

BRIEF = dg.AssetKey(["market", "monthly_market_brief"])
BRAND = dg.AssetKey(["market", "brand_health_report"])
SIGNALS = [  # id, observed_on, category, subject, summary, impact, strength
    ("s1", "2025-06-28", "competitor", "Northwind Analytics", "free tier", "opportunity", 5),
    ("s2", "2025-07-10", "competitor", "Northwind Analytics", "hiring sales", "threat", 3),
    ("s3", "2025-08-05", "pricing", "Northwind Analytics", "price up 15 %", "threat", 4),
    ("s4", "2025-08-20", "technology", "AI assistants", "demos ask for it", "opportunity", 2),
    ("s5", "2025-09-02", "technology", "AI assistants", "buyers ask for it", "opportunity", 4),
    ("s6", "2025-09-10", "regulation", "EU AI Act", "transparency duties", "threat", 5),
    ("s7", "2025-09-15", "competitor", "Contoso Insights", "raised a Series C", "threat", None),
    ("s8", "2025-09-20", "competitor", "Northwind Analytics", "free tier again", "neutral", 4),
]
NPS = [  # month's first day, score, answers
    ("2025-03", 10, 10),
    ("2025-07", 9, 10),
    *(("2025-08", score, n) for score, n in [(10, 20), (8, 10), (3, 10)]),
    *(("2025-09", score, n) for score, n in [(10, 12), (8, 6), (0, 12)]),
]
FEEDBACK = [  # received (UTC), theme, sentiment
    ("2025-09-02 10:00", "bugs", "positive"),
    ("2025-09-03 10:00", "pricing", "neutral"),
    ("2025-09-08 10:00", "bugs", "positive"),
    ("2025-09-09 10:00", "bugs", "negative"),
    ("2025-09-10 10:00", "pricing", "negative"),
    ("2025-09-16 10:00", "bugs", "negative"),
]
POSTS = [  # id, platform, published (UTC), impressions, engagements
    ("p1", "twitter", "2025-08-04 10:00", 1000, 30),
    ("p2", "twitter", "2025-08-25 10:00", 1000, 50),
    ("p3", "twitter", "2025-09-03 10:00", 2000, 100),
    ("p4", "linkedin", "2025-09-04 10:00", 500, 10),
]
MENTIONS = [  # id, mentioned (UTC), channel, sentiment, reach, on_brand
    ("m1", "2025-08-10 10:00", "social", 0.5, 100, True),
    ("m2", "2025-08-11 10:00", "social", -0.2, None, False),
    ("m3", "2025-08-12 10:00", "news", 0.8, 1000, None),
    ("m4", "2025-09-01 09:00", "social", -0.5, 200, True),
    ("m5", "2025-09-01 10:00", "social", 0.1, 300, True),
    ("m6", "2025-09-05 10:00", "review", -0.4, None, None),
    ("m7", "2025-09-20 23:30", "social", 0.3, 50, False),
]


def insert(connection: duckdb.DuckDBPyConnection, sql: str, rows: list[tuple]) -> None:
    if rows:  # DuckDB refuses executemany without rows: an empty feed is an empty table
        connection.executemany(sql, rows)


def load(
    warehouse: Warehouse,
    signals: list[tuple] = SIGNALS,
    mentions: list[tuple] = MENTIONS,
    posts: list[tuple] = POSTS,
) -> None:
    """The raw tables the reports read (the others empty, as a company that feeds none)."""
    with warehouse.get_connection() as connection:
        ensure_ingest_tables(connection)
        insert(
            connection,
            "insert into raw.market_signals (signal_id, observed_on, category, subject, summary, "
            "impact, strength, source) values ($1, $2::date, $3, $4, $5, $6, $7, 'notes')",
            signals,
        )
        answers = [
            (f"{month}-{score}-{i}", 1000 + i, f"{month}-15 10:00:00+00", score)
            for month, score, n in NPS
            for i in range(n)
        ]
        insert(
            connection,
            "insert into raw.nps_responses (response_id, user_id, responded_at, score) "
            "values ($1, $2, $3::timestamptz, $4)",
            answers,
        )
        insert(
            connection,
            "insert into raw.feedback_items (feedback_id, user_id, received_at, source, theme, "
            "sentiment) values ($1, null, $2::timestamptz, 'in_app', $3, $4)",
            [(f"f{i}", f"{at}:00+00", theme, s) for i, (at, theme, s) in enumerate(FEEDBACK)],
        )
        insert(
            connection,
            "insert into raw.content_posts (post_id, platform, post_type, published_at, "
            "impressions, engagements) values ($1, $2, 'post', $3::timestamptz, $4, $5)",
            [(i, platform, f"{at}:00+00", imp, eng) for i, platform, at, imp, eng in posts],
        )
        insert(
            connection,
            "insert into raw.brand_mentions (mention_id, mentioned_at, channel, sentiment, reach, "
            "on_brand, url) values ($1, $2::timestamptz, $3, $4, $5, $6, null)",
            [(i, f"{at}:00+00", *rest) for i, at, *rest in mentions],
        )


def upstream() -> list[dg.AssetsDefinition]:
    names = {"nps_monthly", "feedback_themes_weekly", "brand_mentions_monthly"}
    return [build_sql_asset(d) for d in load_declarations() if d.name in names]


def reports() -> list[dg.AssetsDefinition]:
    return [a for a in build_report_assets() if {BRIEF, BRAND} & set(a.keys)]


def render(warehouse: Warehouse, instance: dg.DagsterInstance | None = None) -> dict[str, str]:
    """Materialise the tables the reports read, then both reports; each report's markdown."""
    result = materialize([*upstream(), *reports()], {"warehouse": warehouse}, instance)
    assert result.success
    texts = {}
    for key in (BRIEF, BRAND):
        (event,) = result.asset_materializations_for_node("__".join(key.path))
        texts[key.path[1]] = event.metadata["report"].value
    return texts


def section(text: str, title: str) -> list[str]:
    """The lines of the section with this title (up to the next heading)."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("#") and title in line)
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("#")), len(lines))
    return [line for line in lines[start + 1 : end] if line.strip()]


def test_brand_mentions_monthly_per_channel_and_month(warehouse: Warehouse) -> None:
    """The module docstring's mention figures, every channel in both months (0 where none)."""
    load(warehouse)
    assert materialize(upstream(), {"warehouse": warehouse}).success
    with warehouse.get_connection() as connection:
        rows = connection.execute(
            "select strftime(month, '%Y-%m'), channel, is_complete, mentions, reach, "
            "reach_known_mentions, round(mean_sentiment, 4), negative_mentions, "
            "round(negative_share, 4), reviewed_mentions, on_brand_mentions, "
            "round(on_brand_share, 4) from market.brand_mentions_monthly"
        ).fetchall()
    assert rows == [
        ("2025-08", "news", True, 1, 1000, 1, 0.8, 0, 0.0, 0, 0, None),
        ("2025-08", "review", True, 0, 0, 0, None, 0, None, 0, 0, None),
        ("2025-08", "social", True, 2, 100, 1, 0.15, 1, 0.5, 2, 1, 0.5),
        ("2025-08", "all", True, 3, 1100, 2, 0.3667, 1, 0.3333, 2, 1, 0.5),
        ("2025-09", "news", False, 0, 0, 0, None, 0, None, 0, 0, None),
        ("2025-09", "review", False, 1, 0, 0, -0.4, 1, 1.0, 0, 0, None),
        ("2025-09", "social", False, 3, 550, 3, -0.0333, 1, 0.3333, 3, 2, 0.6667),
        ("2025-09", "all", False, 4, 550, 3, -0.125, 2, 0.5, 3, 2, 0.6667),
    ]


def test_market_brief_month_against_the_month_before(warehouse: Warehouse) -> None:
    """September against August, the strongest signals and the recurring subjects (module
    docstring)."""
    load(warehouse)
    text = render(warehouse)["monthly_market_brief"]
    assert text.startswith("# Monthly Market Brief, as of 2025-09-20")
    assert section(text, "Month reported")[2:] == [
        "| 2025-09 | 2025-09-01 | 2025-09-20 | 2025-08 | 2025-08-01 | 2025-08-31 |"
    ]
    assert section(text, "Signals by category and impact")[2:] == [
        "| competitor | threat | 1 | 0 | 1 |",
        "| competitor | neutral | 1 | 0 | 1 |",
        "| pricing | threat | 0 | 1 | -1 |",
        "| regulation | threat | 1 | 0 | 1 |",
        "| technology | opportunity | 1 | 1 | 0 |",
        "| all | opportunity | 1 | 1 | 0 |",
        "| all | threat | 2 | 1 | 1 |",
        "| all | neutral | 1 | 0 | 1 |",
    ]
    strongest = section(text, "Strongest signals")
    assert strongest[0] == (
        "| strength | subject | summary | category | impact | observed_on | source |"
    )
    assert strongest[2:] == [
        "| 5 | EU AI Act | transparency duties | regulation | threat | 2025-09-10 | notes |",
        "| 4 | Northwind Analytics | free tier again | competitor | neutral | 2025-09-20 | notes |",
        "| 4 | AI assistants | buyers ask for it | technology | opportunity | 2025-09-02 | notes |",
        "|  | Contoso Insights | raised a Series C | competitor | threat | 2025-09-15 | notes |",
    ]
    assert section(text, "Recurring subjects")[2:] == [
        "| Northwind Analytics | 3 | 3 | 0 | 2 | competitor, pricing | 2025-07-10 | 2025-09-20 "
        "| free tier again |",
        "| AI assistants | 2 | 2 | 2 | 0 | technology | 2025-08-20 | 2025-09-02 "
        "| buyers ask for it |",
    ]
    assert "data:image/png;base64," in "\n".join(section(text, "Signals per month by impact"))


def test_market_brief_says_none_this_month_and_no_signals_loaded(warehouse: Warehouse) -> None:
    """August's signals only, with a content post on 2025-09-03 (the data's last day, so the
    month is September): the month has none, August's rows show 0 against it, and no subject
    recurs (August alone). Then no signals at all: each section says none are loaded, and the
    picture has no rows rather than a year of zeros."""
    load(warehouse, signals=[s for s in SIGNALS if s[1].startswith("2025-08")], mentions=[])
    with warehouse.get_connection() as connection:
        connection.execute("delete from raw.content_posts where post_id <> 'p3'")
        connection.execute("delete from raw.nps_responses")
        connection.execute("delete from raw.feedback_items")
    text = render(warehouse)["monthly_market_brief"]
    assert text.startswith("# Monthly Market Brief, as of 2025-09-03")
    assert section(text, "Signals by category and impact")[2:] == [
        "| none this month |  |  |  |  |",
        "| pricing | threat | 0 | 1 | -1 |",
        "| technology | opportunity | 0 | 1 | -1 |",
        "| all | opportunity | 0 | 1 | -1 |",
        "| all | threat | 0 | 1 | -1 |",
    ]
    assert section(text, "Strongest signals")[2:] == ["|  | none this month |  |  |  |  |  |"]
    assert section(text, "Recurring subjects")[2:] == [
        "| none recurring in the last 3 months |  |  |  |  |  |  |  |  |"
    ]

    with warehouse.get_connection() as connection:
        connection.execute("delete from raw.market_signals")
    text = render(warehouse)["monthly_market_brief"]
    assert section(text, "Signals by category and impact")[2:] == [
        "| no market signals loaded |  |  |  |  |"
    ]
    assert section(text, "Strongest signals")[2:] == [
        "|  | no market signals loaded |  |  |  |  |  |"
    ]
    assert section(text, "Recurring subjects")[2:] == [
        "| no market signals loaded |  |  |  |  |  |  |  |  |"
    ]
    assert section(text, "Signals per month by impact") == ["_no rows_"]


def test_brand_health_nps_sentiment_content_and_mentions(warehouse: Warehouse) -> None:
    """NPS, feedback sentiment, content engagement and brand mentions (module docstring)."""
    load(warehouse)
    text = render(warehouse)["brand_health_report"]
    assert text.startswith("# Brand Health Report, as of 2025-09-20")
    nps = section(text, "NPS per month")
    assert nps[0] == "| month | responses | nps | nps_ci_low | nps_ci_high | nps_change |"
    assert nps[2:] == [
        "| 2025-07 | 10 |  |  |  |  |",
        "| 2025-08 | 40 | 25.00 | -0.70 | 50.70 |  |",
        "| 2025-09 | 30 | 0.00 | -32.01 | 32.01 | -25.00 |",
    ]
    assert section(text, "Feedback sentiment per week, last 6 months")[2:] == [
        "| 2025-09-01 | 2 | 0.50 | 0.00 |",
        "| 2025-09-08 | 3 | -0.33 | 0.67 |",
    ]
    assert section(text, "Content engagement")[2:] == [
        "| linkedin | 1 | 0 | 500 | 10 | 2.00 |  |  |",
        "| twitter | 1 | 2 | 2,000 | 100 | 5.00 | 4.00 | 1.00 |",
        "| all | 2 | 2 | 2,500 | 110 | 4.40 | 4.00 | 0.40 |",
    ]
    mentions = section(text, "Brand mentions per channel")
    assert mentions[0] == (
        "| channel | mentions | previous_mentions | reach | previous_reach | mean_sentiment "
        "| previous_mean_sentiment | negative_pct | previous_negative_pct | on_brand_pct "
        "| previous_on_brand_pct |"
    )
    assert mentions[2:] == [
        "| news | 0 | 1 | 0 | 1,000 |  | 0.80 |  | 0.00 |  |  |",
        "| review | 1 | 0 | 0 | 0 | -0.40 |  | 100.00 |  |  |  |",
        "| social | 3 | 2 | 550 | 100 | -0.03 | 0.15 | 33.33 | 50.00 | 66.67 | 50.00 |",
        "| all | 4 | 3 | 550 | 1,100 | -0.12 | 0.37 | 50.00 | 33.33 | 66.67 | 50.00 |",
    ]
    for title in ("NPS, last 6 months", "Brand mentions per day", "Brand mention sentiment"):
        assert "data:image/png;base64," in "\n".join(section(text, title))


def test_brand_health_says_no_brand_mentions_loaded(warehouse: Warehouse) -> None:
    """No mentions: the channel table says so in one row and the daily pictures have no rows;
    the other sections still report (the September twitter post alone: 1 post, 5 %)."""
    load(warehouse, mentions=[])
    text = render(warehouse)["brand_health_report"]
    assert section(text, "Brand mentions per channel")[2:] == [
        "| no brand mentions loaded |  |  |  |  |  |  |  |  |  |  |"
    ]
    assert section(text, "Brand mentions per day") == ["_no rows_"]
    assert (
        section(text, "Content engagement")[4]
        == "| all | 2 | 2 | 2,500 | 110 | 4.40 | 4.00 | 0.40 |"
    )


def test_html_export_of_both_reports(warehouse: Warehouse, tmp_path: Path) -> None:
    """`nexus report NAME --format html` on the test's warehouse and instance: every section's
    title, and the key numbers read with this test's own SQL from the tables the sections read."""
    load(warehouse)
    env = deployment(tmp_path / "deployment", NEXUS_DUCKDB_PATH=str(warehouse.resolved_path()))
    render(warehouse, open_instance(env["DAGSTER_HOME"]))
    declared = yaml.safe_load((PROJECT_DIR / "assets/domains/market/reports.yaml").read_text())
    pages = {}
    for spec in declared["reports"]:
        out = tmp_path / f"{spec['name']}.html"
        subprocess.run(
            [NEXUS, "report", spec["name"], "--format", "html", "--out", str(out)],
            env=env,
            check=True,
            capture_output=True,
        )
        page = pages[spec["name"]] = out.read_text(encoding="utf-8")
        for part in spec["sections"]:
            assert f"<h2>{part['title']}</h2>" in page

    with warehouse.get_connection() as connection:
        month_signals, threats = connection.execute(
            "select count(*), count(*) filter (where impact = 'threat') from raw.market_signals "
            "where observed_on between date '2025-09-01' and date '2025-09-20'"
        ).fetchone()
        mentions, reach, on_brand = connection.execute(
            "select mentions, reach, 100 * on_brand_share from market.brand_mentions_monthly "
            "where month = date '2025-09-01' and channel = 'all'"
        ).fetchone()
        [(nps,)] = connection.execute(
            "select nps from voice.nps_monthly where month = date '2025-08-01' "
            "and breakdown = 'all'"
        ).fetchall()
        [(engagement_pct,)] = connection.execute(
            "select 100.0 * sum(engagements) / sum(impressions) from raw.content_posts "
            "where published_at >= timestamptz '2025-09-01 00:00+00'"
        ).fetchall()
    assert (month_signals, threats, mentions, reach, round(on_brand, 2), nps, engagement_pct) == (
        4, 2, 4, 550, 66.67, 25.0, 4.4
    )  # fmt: skip
    brief = pages["monthly_market_brief"]
    totals = re.findall(r"<td>all</td>\s*<td>(\w+)</td>\s*<td>(\d+)</td>", brief)
    assert sum(int(n) for _, n in totals) == month_signals
    assert dict(totals)["threat"] == str(threats)
    brand = pages["brand_health_report"]
    row = re.search(
        r"<td>all</td>\s*<td>(\d+)</td>\s*<td>\d+</td>\s*<td>([\d,]+)</td>(?:\s*<td>[^<]*</td>){5}"
        r"\s*<td>([\d.]+)</td>",
        brand,
    )
    assert row and (int(row.group(1)), int(row.group(2).replace(",", ""))) == (mentions, reach)
    assert row.group(3) == f"{on_brand:.2f}"
    assert re.search(rf"<td>2025-08</td>\s*<td>40</td>\s*<td>{nps:.2f}</td>", brand)
    content = re.search(r"<td>all</td>\s*<td>2</td>\s*<td>2</td>(?:\s*<td>[^<]*</td>){2}", brand)
    assert content and f"<td>{engagement_pct:.2f}</td>" in brand[content.end() :][:20]
