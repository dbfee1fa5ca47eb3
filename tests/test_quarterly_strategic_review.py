"""The Quarterly Strategic Review (reporting) on small hand-worked inputs (times UTC, the
reporting timezone of the tests). The data's last day is 2025-08-15 (item b1 done that day), so
the review is as of 2025-08-15: 2025-Q3 to that day (07-01 to 08-15, 46 days) against the whole
of 2025-Q2 (04-01 to 06-30, 91 days). Change % = (this - before) / before x 100.

Market signals (observed, category, impact, strength): s1 07-10 competitor threat 4, s2 08-01
  competitor threat 2, s3 08-15 pricing opportunity (no strength); s4 05-05 competitor threat 3,
  s5 06-30 technology opportunity 5; s6 03-31 regulation (Q1: counts nowhere).
  all: 3 against 2 (+50 %), mean strength (4 + 2) / 2 = 3 against (3 + 5) / 2 = 4;
  competitor threat 2 against 1 (+100 %), 3 against 3; pricing 1 against 0 (no change %);
  technology 0 against 1 (-100 %), strength - against 5.
Brand mentions (published, channel, sentiment): m1 07-02 social 0.5, m2 08-01 social -0.5,
  m3 08-10 news 0.8; m4 06-30 23:30 social 0.2.
  all: 3 against 1 (+200 %), mean (0.5 - 0.5 + 0.8) / 3 = 0.27 against 0.2, positive 2/3 =
  66.7 % against 100 %; social 2 against 1 (+100 %), mean 0 against 0.2, positive 50 % against
  100 %; news 1 against 0, mean 0.8, positive 100 %.
Work items (created, started, done; cycle time in days):
  t1 tech_debt platform 03-15, 04-01, 05-01 (30)   t2 tech_debt platform 05-10, 06-01, 07-20 (49)
  t3 tech_debt growth 06-20, not started            t4 tech_debt growth 08-01, 08-05, not done
  f1 feature growth 04-01, 04-02, 04-06 (4)         f2 feature platform 07-01, 07-01, 07-03 (2)
  b1 bug growth 08-10, 08-10, 08-15 10:00 (5 + 10/24 = 5.42)
  Tech debt Q3: filed t4 = 1, done t2 = 1, open on 08-15 t3 (56 days old) and t4 (14) = 2,
  median age 35; items done t2, f2, b1 = 3, tech debt's share 1/3 = 33.3 %.
  Tech debt Q2: filed t2, t3 = 2, done t1 = 1, open on 06-30 t2 (51 days) and t3 (10) = 2,
  median age 30.5; items done t1, f1 = 2, share 50 %.
  All work: Q3 throughput 3, median of 2, 5.42, 49 = 5.42 days; Q2 2, median of 4 and 30 = 17;
  improvement (17 - 5.42) / 17 = 68.1 %. Tech debt 1 against 1, share 33.3 % against 50 %,
  median 49 against 30, improvement (30 - 49) / 30 = -63.3 %.
Users (signup, country): u1 07-05 DE, u2 08-01 DE, u3 08-02 FR, u4 08-03 none; u5 05-01 DE,
  u6 06-01 US. DE 2 against 1 (+100 %, 2/4 = 50 % of the quarter's signups), (unknown) 1
  against 0 (25 %), FR 1 against 0 (25 %), US 0 against 1 (-100 %, 0 %).
Voice, reliability and compliance tables as their cadences write them:
  nps_daily 08-01 20 answers (12 promoters, 4 detractors), 08-02 10 (3, 5); 05-01 10 (5, 1).
  Q3 30 answers, 15/30 = 50 % promoters, 9/30 = 30 % detractors, NPS 20; Q2 10 answers, 50 %
  and 10 %, NPS none (under the 30 answers voice_nps_min_responses asks).
  dora_monthly 07: 20 deployments, 2 failed; 08: 12, 1; 05: 30, 3; 03: 99, 9 (Q1).
  Q3 32 / 46 days = 0.70 a day, 3 / 32 = 9.4 % failed; Q2 30 / 91 = 0.33, 3 / 30 = 10 %.
  control_results training_completion 07: 10 due, 9 on time; 04: 8, 8; 05: 2, 2 (threshold
  95); a privacy control in 07 counts nowhere. Q3 1 month, 9/10 = 90 %; Q2 2 months, 10/10.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import dagster as dg
import duckdb
import yaml
from deployment import deployment, nexus, open_instance
from report_runs import materialize

from nexus_pipelines.ingest import ensure_ingest_tables
from nexus_pipelines.reports import build_report_assets
from nexus_pipelines.settings import PROJECT_DIR
from nexus_pipelines.sql_assets import build_sql_asset, load_declarations
from nexus_pipelines.warehouse import Warehouse

REVIEW = dg.AssetKey(["reporting", "quarterly_strategic_review"])
SIGNALS = [  # id, observed, category, impact, strength
    ("s1", "2025-07-10", "competitor", "threat", 4),
    ("s2", "2025-08-01", "competitor", "threat", 2),
    ("s3", "2025-08-15", "pricing", "opportunity", None),
    ("s4", "2025-05-05", "competitor", "threat", 3),
    ("s5", "2025-06-30", "technology", "opportunity", 5),
    ("s6", "2025-03-31", "regulation", "threat", 5),
]
MENTIONS = [  # id, published (UTC), channel, sentiment
    ("m1", "2025-07-02 12:00", "social", 0.5),
    ("m2", "2025-08-01 12:00", "social", -0.5),
    ("m3", "2025-08-10 12:00", "news", 0.8),
    ("m4", "2025-06-30 23:30", "social", 0.2),
]
ITEMS = [  # id, type, team, created, started, done
    ("t1", "tech_debt", "platform", "2025-03-15", "2025-04-01", "2025-05-01"),
    ("t2", "tech_debt", "platform", "2025-05-10", "2025-06-01", "2025-07-20"),
    ("t3", "tech_debt", "growth", "2025-06-20", None, None),
    ("t4", "tech_debt", "growth", "2025-08-01", "2025-08-05", None),
    ("f1", "feature", "growth", "2025-04-01", "2025-04-02", "2025-04-06"),
    ("f2", "feature", "platform", "2025-07-01", "2025-07-01", "2025-07-03"),
    ("b1", "bug", "growth", "2025-08-10", "2025-08-10", "2025-08-15 10:00"),
]
USERS = [  # id, signup (UTC), country
    (1, "2025-07-05", "DE"),
    (2, "2025-08-01", "DE"),
    (3, "2025-08-02", "FR"),
    (4, "2025-08-03", None),
    (5, "2025-05-01", "DE"),
    (6, "2025-06-01", "US"),
]
DERIVED = {  # tables other cadences write, as they write them (the columns the review reads)
    "voice.nps_daily (response_date date, responses bigint, promoters bigint, "
    "passives bigint, detractors bigint)": [
        ("2025-08-01", 20, 12, 4, 4),
        ("2025-08-02", 10, 3, 2, 5),
        ("2025-05-01", 10, 5, 4, 1),
    ],
    "reliability.dora_monthly (month date, deployments bigint, failed_changes bigint)": [
        ("2025-07-01", 20, 2),
        ("2025-08-01", 12, 1),
        ("2025-05-01", 30, 3),
        ("2025-03-01", 99, 9),
    ],
    "compliance.control_results (period_month date, control_id varchar, evaluated bigint, "
    "passing bigint, threshold_pct double)": [
        ("2025-07-01", "training_completion", 10, 9, 95.0),
        ("2025-04-01", "training_completion", 8, 8, 95.0),
        ("2025-05-01", "training_completion", 2, 2, 95.0),
        ("2025-07-01", "consent_records", 50, 10, 99.0),
    ],
}


def utc(value: str | None) -> str | None:
    if value is None:
        return None
    return f"{value}:00+00" if " " in value else f"{value} 00:00:00+00"


def load(warehouse: Warehouse, *, signals: bool = True, mentions: bool = True) -> None:
    with warehouse.get_connection() as connection:
        ensure_ingest_tables(connection)
        if signals:
            connection.executemany(
                "insert into raw.market_signals (signal_id, observed_on, category, subject, "
                "summary, impact, strength) values ($1, $2, $3, 'x', 'x', $4, $5)",
                SIGNALS,
            )
        if mentions:
            connection.executemany(
                "insert into raw.brand_mentions (mention_id, mentioned_at, channel, sentiment) "
                "values ($1, $2::timestamptz, $3, $4)",
                [(i, utc(at), channel, s) for i, at, channel, s in MENTIONS],
            )
        connection.executemany(
            "insert into raw.work_items (work_item_id, item_type, team, created_at, started_at, "
            "done_at) values ($1, $2, $3, $4::timestamptz, $5::timestamptz, $6::timestamptz)",
            [(i, kind, team, *(utc(t) for t in times)) for i, kind, team, *times in ITEMS],
        )
        connection.executemany(
            "insert into raw.users (user_id, signup_at, acquisition_channel, segment, country, "
            "product_id) values ($1, $2::timestamptz, 'organic', 'smb', $3, 'main')",
            [(i, utc(at), country) for i, at, country in USERS],
        )
        for table, rows in DERIVED.items():
            name = table.split(" ")[0]
            connection.execute(f"create schema if not exists {name.split('.')[0]}")
            connection.execute(f"create table {table}")
            marks = ", ".join(f"${n}" for n in range(1, len(rows[0]) + 1))
            connection.executemany(f"insert into {name} values ({marks})", rows)


def render(warehouse: Warehouse, instance: dg.DagsterInstance | None = None) -> str:
    """Materialise the delivery tables the review reads, then the review; its markdown."""
    upstream = [
        build_sql_asset(d)
        for d in load_declarations()
        if d.name in ("work_item_flow", "cycle_time_quarterly")
    ]
    review = next(a for a in build_report_assets() if REVIEW in a.keys)
    result = materialize([*upstream, review], {"warehouse": warehouse}, instance)
    assert result.success
    (event,) = result.asset_materializations_for_node("__".join(REVIEW.path))
    return event.metadata["report"].value


def section(text: str, title: str) -> list[str]:
    """The lines of the section with this title (up to the next heading)."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("#") and title in line)
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("#")), len(lines))
    return [line for line in lines[start + 1 : end] if line.strip()]


def test_review_compares_the_quarter_so_far_with_the_quarter_before(warehouse: Warehouse) -> None:
    """Every figure from the module docstring; Q1's signal and dora month count nowhere."""
    load(warehouse)
    text = render(warehouse)
    assert text.startswith("# Quarterly strategic review, as of 2025-08-15")
    assert section(text, "Quarters compared")[2:] == [
        "| 2025-Q3 | 2025-07-01 | 2025-08-15 | 46 |",
        "| 2025-Q2 | 2025-04-01 | 2025-06-30 | 91 |",
    ]
    assert section(text, "competitive landscape")[2:] == [
        "| all | all | 3 | 2 | 50.00 | 3.00 | 4.00 |",
        "| competitor | threat | 2 | 1 | 100.00 | 3.00 | 3.00 |",
        "| pricing | opportunity | 1 | 0 |  |  |  |",
        "| technology | opportunity | 0 | 1 | -100.00 |  | 5.00 |",
    ]
    assert section(text, "brand perception")[2:] == [
        "| all | 3 | 1 | 200.00 | 0.27 | 0.20 | 66.70 | 100.00 |",
        "| social | 2 | 1 | 100.00 | 0.00 | 0.20 | 50.00 | 100.00 |",
        "| news | 1 | 0 |  | 0.80 |  | 100.00 |  |",
    ]
    assert section(text, "customer satisfaction")[2:] == [
        "| 2025-Q3 | 30 | 50.00 | 30.00 | 20.00 |  |",
        "| 2025-Q2 | 10 | 50.00 | 10.00 |  |  |",
    ]
    assert section(text, "technology debt")[2:] == [
        "| 2025-Q3 | 1 | 1 | 2 | 35.00 | 33.30 |",
        "| 2025-Q2 | 2 | 1 | 2 | 30.50 | 50.00 |",
    ]
    flow = section(text, "process efficiency")
    assert flow[2] == "| all | all | 3 | 2 | 100.00 | 100.00 | 5.42 | 17.00 | 68.10 |"
    assert "| tech_debt | all | 1 | 1 | 33.30 | 50.00 | 49.00 | 30.00 | -63.30 |" in flow
    assert section(text, "new markets")[2:] == [
        "| DE | 2 | 1 | 100.00 | 50.00 |",
        "| (unknown) | 1 | 0 |  | 25.00 |",
        "| FR | 1 | 0 |  | 25.00 |",
        "| US | 0 | 1 | -100.00 | 0.00 |",
    ]
    assert section(text, "deployment frequency")[2:] == [
        "| 2025-Q3 | 32 | 0.70 | 3 | 9.40 |",
        "| 2025-Q2 | 30 | 0.33 | 3 | 10.00 |",
    ]
    assert section(text, "capability development")[2:] == [
        "| 2025-Q3 | 1 | 10 | 9 | 90.00 | 95.00 |",
        "| 2025-Q2 | 2 | 10 | 10 | 100.00 | 95.00 |",
    ]
    # no source holds these: said in one line, not estimated
    assert section(text, "market share") == [
        "**not assessed: the warehouse holds no market size or competitors' sales**"
    ]
    assert section(text, "partnerships")[0].startswith("**not assessed")


def test_review_says_when_no_market_signal_or_brand_mention_is_loaded(
    warehouse: Warehouse,
) -> None:
    """A company that feeds neither table: one row each saying so, rather than zeros."""
    load(warehouse, signals=False, mentions=False)
    text = render(warehouse)
    assert section(text, "competitive landscape")[2:] == [
        "| no market signals loaded |  |  |  |  |  |  |"
    ]
    assert section(text, "brand perception")[2:] == [
        "| no brand mentions loaded |  |  |  |  |  |  |  |"
    ]


def test_review_tells_signals_outside_both_quarters_from_none_loaded(
    warehouse: Warehouse,
) -> None:
    """Only s6 (Q1) is loaded: the table is fed, but nothing falls in Q2 or Q3."""
    load(warehouse, signals=False)
    with warehouse.get_connection() as connection:
        connection.execute(
            "insert into raw.market_signals (signal_id, observed_on, category, subject, summary, "
            "impact) values ('s6', '2025-03-31', 'regulation', 'x', 'x', 'threat')"
        )
    text = render(warehouse)
    assert section(text, "competitive landscape")[2] == (
        "| no market signals in either quarter |  |  |  |  |  |  |"
    )


def test_html_export_holds_every_section_and_the_key_numbers(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    """`nexus report` on the test's warehouse and instance; the numbers read back here with
    our own SQL from the raw tables the review's sections read."""
    load(warehouse)
    env = deployment(tmp_path / "deploy", NEXUS_DUCKDB_PATH=str(warehouse.resolved_path()))
    render(warehouse, open_instance(env["DAGSTER_HOME"]))
    out = tmp_path / "review.html"
    nexus(env, "report", "quarterly_strategic_review", "--format", "html", "--out", str(out))
    page = out.read_text(encoding="utf-8")

    declared = yaml.safe_load((PROJECT_DIR / "assets/domains/reporting/reports.yaml").read_text())
    [spec] = [s for s in declared["reports"] if s["name"] == "quarterly_strategic_review"]
    for title in [s["title"] for s in spec["sections"]]:
        assert f"<h2>{html.escape(title, quote=False)}</h2>" in page

    with duckdb.connect(str(warehouse.resolved_path()), read_only=True) as connection:
        [(signals, before)] = connection.execute(
            "select count(*) filter (where observed_on between '2025-07-01' and '2025-08-15'), "
            "count(*) filter (where observed_on between '2025-04-01' and '2025-06-30') "
            "from raw.market_signals"
        ).fetchall()
        [(open_debt,)] = connection.execute(
            "select count(*) from raw.work_items where item_type = 'tech_debt' "
            "and created_at < '2025-08-16' and (done_at is null or done_at >= '2025-08-16')"
        ).fetchall()
        [(german,)] = connection.execute(
            "select count(*) from raw.users where country = 'DE' and signup_at >= '2025-07-01'"
        ).fetchall()
    assert (signals, before, open_debt, german) == (3, 2, 2, 2)
    assert re.search(rf"<td>all</td>\s*<td>all</td>\s*<td>{signals}</td>\s*<td>{before}</td>", page)
    assert re.search(rf"<td>2025-Q3</td>\s*<td>1</td>\s*<td>1</td>\s*<td>{open_debt}</td>", page)
    assert re.search(rf"<td>DE</td>\s*<td>{german}</td>", page)
    assert 'src="data:image/png;base64,' not in page  # no MRR months written: no picture
