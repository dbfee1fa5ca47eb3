"""Reliability, delivery and support assets on a small hand-worked company (times UTC).

Services: api and web are customer-facing, batch is not.
Probes (2025-03-01 is a Saturday):
  api  03-01 10:00 ok 100 ms, 10:05 fail, 10:10 ok 300 ms, 10:15 fail in planned maintenance,
       03-02 00:00 ok 100 ms
  web  03-01 10:00, 10:05, 10:10 ok 200 ms, 10:15 ok in planned maintenance
  batch 03-01 10:00 fail
  By hand, day 03-01: api 2/3 = 66.667 % (maintenance probe excluded, counted apart), web 3/3 =
  100 %, batch 0/1 = 0 %, overall (api + web only) 5/6 = 83.333 % with 2 maintenance probes;
  03-02: api and overall 100 %.
  March: api 3/4 = 75 %, overall 6/7 = 85.714 %. Latency api 03-01: ok probes 100 and 300 ms ->
  p50 200, p95 100 + 0.95 x 200 = 290.
Incidents:
  inc_1 P1 api  detected 03-01 23:40, ack 23:50, resolved 03-02 00:40 (crosses midnight:
        60 min), caused by dep_1, post-mortem 03-07. Resolved on Sunday 03-02: counting from
        Friday 02-28, five business days end Friday 03-07 -> on time.
  inc_2 P0 web  detected 03-03 10:00, ack 10:20 (20 min > 15: late), resolved 11:30 (90 min), no
        post-mortem: due Monday 03-10, missed.
  inc_3 P3 web  detected 03-04 09:00, never acknowledged, still open: past its 28-day target.
  inc_4 P2 api  detected 03-05 12:00, ack 12:30 (within 4 h), still open.
  inc_5 P2 batch detected 03-06 08:00, ack 08:10, resolved 12:30 (270 min).
  March, all severities: 5 detected, 2 still open, MTTA (10 + 20 + 30 + 10) / 4 = 17.5 min,
  within target 3 of 5 = 60 %; resolved 3: MTTR (60 + 90 + 270) / 3 = 140 min, median 90;
  post-mortems 1 of 2 = 50 %. P0: 1 detected, compliance 0 %.
Deployments (production unless said):
  dep_1 api 03-01 23:00 success (caused inc_1); dep_2 web 03-02 10:00 success, rolled back;
  dep_3 api 03-02 15:00 success; dep_4 api 03-02 16:00 failed; dep_5 api staging 03-02 17:00.
  Daily successful production deploys: 03-01 1, 03-02 2, 03-03 0 -> deploys_per_day as of 03-03
  = 3 / 28. March: change failure rate 2 / 3 = 66.667 %; recovery: dep_1 23:00 -> inc_1 resolved
  00:40 = 100 min (dep_2 has no incident), median 100.
  Commits: dep_1 c1 21:00 (2 h), c2 23:00 (zero lead time, excluded); dep_2 c4 06:00 (4 h);
  dep_3 c3 03-01 15:00 (24 h) -> lead time median of 2, 4, 24 = 4 h (3 h if c2 counted).
Tickets:
  t1 created 03-01 22:00, agent 03-02 01:00 (3 h), resolved 03-02 04:00 (6 h), reopened, CSAT 5
  t2 created 03-01 10:00, agent 15:00 (5 h: late), resolved 20:00 (10 h), CSAT 2
  t3 created 03-02 09:00, never answered, open: past the 4 h target
  t4 created 03-02 11:00, closed by the bot at 11:30 (no agent reply): 0.5 h, no first response
  03-01: 2 created, 1 of 2 answered within 4 h = 50 %, first response median 4 h; resolved t2:
  median 10 h, CSAT 0 %. 03-02: 2 created, 0 of 1 decided within target = 0 %; resolved t1 and
  t4: median 3.25 h, satisfaction mean 5. Resolution median as of 03-02: 10, 6, 0.5 -> 6 h.
"""

from datetime import date
from pathlib import Path

import dagster as dg
import pytest
import yaml
from deployment import deployment, nexus
from report_runs import materialize as materialize_reports

from nexus_pipelines.domains.reliability import build_assets
from nexus_pipelines.incident_feed import feed_dir, write_feed_file
from nexus_pipelines.ingest import ensure_ingest_tables
from nexus_pipelines.project import project
from nexus_pipelines.reports import build_report_assets
from nexus_pipelines.scorecard import compute_scorecard
from nexus_pipelines.settings import PROJECT_DIR
from nexus_pipelines.sql_assets import build_sql_asset, load_declarations
from nexus_pipelines.warehouse import Warehouse

SERVICES = [("api", True), ("web", True), ("batch", False)]
PROBES = [
    ("api", "2025-03-01 10:00", True, 100.0, False),
    ("api", "2025-03-01 10:05", False, None, False),
    ("api", "2025-03-01 10:10", True, 300.0, False),
    ("api", "2025-03-01 10:15", False, None, True),
    ("api", "2025-03-02 00:00", True, 100.0, False),
    ("web", "2025-03-01 10:00", True, 200.0, False),
    ("web", "2025-03-01 10:05", True, 200.0, False),
    ("web", "2025-03-01 10:10", True, 200.0, False),
    ("web", "2025-03-01 10:15", True, 200.0, True),
    ("batch", "2025-03-01 10:00", False, None, False),
]
INCIDENTS = [
    ("inc_1", "P1", "api", "2025-03-01 23:40", "2025-03-01 23:50", "2025-03-02 00:40", "dep_1",
     "2025-03-07 12:00"),
    ("inc_2", "P0", "web", "2025-03-03 10:00", "2025-03-03 10:20", "2025-03-03 11:30", None, None),
    ("inc_3", "P3", "web", "2025-03-04 09:00", None, None, None, None),
    ("inc_4", "P2", "api", "2025-03-05 12:00", "2025-03-05 12:30", None, None, None),
    ("inc_5", "P2", "batch", "2025-03-06 08:00", "2025-03-06 08:10", "2025-03-06 12:30", None,
     None),
]  # fmt: skip
DEPLOYMENTS = [
    ("dep_1", "api", "production", "2025-03-01 23:00", "success", False),
    ("dep_2", "web", "production", "2025-03-02 10:00", "success", True),
    ("dep_3", "api", "production", "2025-03-02 15:00", "success", False),
    ("dep_4", "api", "production", "2025-03-02 16:00", "failed", False),
    ("dep_5", "api", "staging", "2025-03-02 17:00", "success", False),
]
COMMITS = [
    ("dep_1", "c1", "2025-03-01 21:00"),
    ("dep_1", "c2", "2025-03-01 23:00"),
    ("dep_2", "c4", "2025-03-02 06:00"),
    ("dep_3", "c3", "2025-03-01 15:00"),
]
TICKETS = [
    ("t1", "2025-03-01 22:00", "2025-03-02 01:00", "2025-03-02 04:00", 1, 5),
    ("t2", "2025-03-01 10:00", "2025-03-01 15:00", "2025-03-01 20:00", 0, 2),
    ("t3", "2025-03-02 09:00", None, None, 0, None),
    ("t4", "2025-03-02 11:00", None, "2025-03-02 11:30", 0, None),
]
UNPARTITIONED = [
    "uptime_monthly",
    "incidents",
    "incident_summary_monthly",
    "open_incidents",
    "error_budget",
    "dora_monthly",
    "ticket_facts",
]


def _utc(value: str | None) -> str | None:
    return f"{value}:00+00" if value else None


def load_raw(warehouse: Warehouse) -> None:
    with warehouse.get_connection() as connection:
        ensure_ingest_tables(connection)
        connection.executemany("insert into raw.services values ($1, null, $2)", SERVICES)
        connection.executemany(
            "insert into raw.health_checks values ($1, $2, $3, $4, $5)",
            [(s, _utc(t), ok, ms, m) for s, t, ok, ms, m in PROBES],
        )
        connection.executemany(
            "insert into raw.incidents values ($1, $2, $3, 'test', $4, $5, $6, $7, $8)",
            [(i, sev, s, _utc(d), _utc(a), _utc(r), dep, _utc(pm)) for i, sev, s, d, a, r, dep, pm
             in INCIDENTS],
        )  # fmt: skip
        connection.executemany(
            "insert into raw.deployments values ($1, $2, $3, $4, $5, $6)",
            [(d, s, env, _utc(t), status, rb) for d, s, env, t, status, rb in DEPLOYMENTS],
        )
        connection.executemany(
            "insert into raw.deployment_commits values ($1, $2, $3)",
            [(d, sha, _utc(t)) for d, sha, t in COMMITS],
        )
        connection.executemany(
            "insert into raw.support_tickets values ($1, 1, $2, 'normal', 'bug', $3, $4, $5, $6)",
            [(t, _utc(c), _utc(f), _utc(r), n, s) for t, c, f, r, n, s in TICKETS],
        )


def sql_asset(name: str) -> dg.AssetsDefinition:
    return build_sql_asset(next(d for d in load_declarations() if d.name == name))


def materialize(warehouse: Warehouse, assets: list, first: str = "", last: str = "") -> None:
    tags = (
        {"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last}
        if first
        else {}
    )
    result = dg.materialize(assets, resources={"warehouse": warehouse}, tags=tags)
    assert result.success
    assert all(check.passed for check in result.get_asset_check_evaluations())


@pytest.fixture
def company(warehouse: Warehouse) -> Warehouse:
    load_raw(warehouse)
    feed, *_ = build_assets(project())
    materialize(warehouse, [feed, *(sql_asset(name) for name in UNPARTITIONED)])
    # the partition of March: every day of March (month keys name the partitions)
    for name in ("uptime_daily", "latency_daily", "deployments_daily", "support_daily"):
        materialize(warehouse, [sql_asset(name)], "2025-03-01", "2025-03-01")
    return warehouse


def rows(warehouse: Warehouse, sql: str) -> list[tuple]:
    with warehouse.get_connection(read_only=True) as connection:
        return connection.execute(sql).fetchall()


def test_uptime_excludes_maintenance_and_weights_customer_facing_probes(company) -> None:
    daily = rows(
        company,
        "select uptime_date::varchar, service_id, probes, ok_probes, maintenance_probes, "
        "round(uptime_pct, 3) from reliability.uptime_daily order by all",
    )
    assert daily == [
        ("2025-03-01", "api", 3, 2, 1, 66.667),
        ("2025-03-01", "batch", 1, 0, 0, 0.0),
        ("2025-03-01", "overall", 6, 5, 2, 83.333),
        ("2025-03-01", "web", 3, 3, 1, 100.0),
        ("2025-03-02", "api", 1, 1, 0, 100.0),
        ("2025-03-02", "overall", 1, 1, 0, 100.0),
    ]
    monthly = rows(
        company,
        "select service_id, round(uptime_pct, 3) from reliability.uptime_monthly "
        "where service_id in ('api', 'overall') order by all",
    )
    assert monthly == [("api", 75.0), ("overall", 85.714)]
    assert rows(
        company,
        "select latency_p50_ms, round(latency_p95_ms, 6) from reliability.latency_daily "
        "where service_id = 'api' and latency_date = '2025-03-01'",
    ) == [(200.0, 290.0)]


def test_incidents_crossing_midnight_open_and_unacknowledged(company) -> None:
    incidents = dict(
        (row[0], row[1:])
        for row in rows(
            company,
            "select incident_id, minutes_to_resolve, acknowledged_within_target, "
            "postmortem_due_date::varchar from reliability.incidents",
        )
    )
    assert incidents["inc_1"] == (60.0, True, "2025-03-07")
    assert incidents["inc_2"] == (90.0, False, "2025-03-10")
    assert incidents["inc_3"] == (None, False, None)  # unacknowledged P3, past 28 days
    summary = rows(
        company,
        "select incidents_detected, still_open, mtta_minutes, incidents_resolved, mttr_minutes, "
        "mttr_median_minutes, response_compliance_pct, postmortems_due, postmortems_on_time, "
        "postmortem_completion_pct from reliability.incident_summary_monthly "
        "where month = '2025-03-01' and severity = 'all'",
    )
    assert summary == [(5, 2, 17.5, 3, 140.0, 90.0, 60.0, 2, 1, 50.0)]
    assert rows(
        company,
        "select response_compliance_pct from reliability.incident_summary_monthly "
        "where severity = 'P0'",
    ) == [(0.0,)]
    assert rows(
        company, "select incident_id, target_status from reliability.open_incidents order by 1"
    ) == [
        ("inc_3", "unacknowledged past target"),
        ("inc_4", "acknowledged within target"),
    ]


def test_dora_counts_the_incident_causing_deploy_and_skips_zero_lead_time(company) -> None:
    """March's partition holds every day of March: 03-01 dep_1 (caused inc_1); 03-02 dep_2
    (rolled back) and dep_3 successful, dep_4 failed, dep_5 on staging not counted; the other 29
    days have no production deployment: 0 of each."""
    daily = rows(
        company,
        "select deploy_date::varchar, successful_deployments, failed_deployments, "
        "rolled_back_deployments, incident_causing_deployments "
        "from reliability.deployments_daily order by 1",
    )
    assert [row[0] for row in daily] == [f"2025-03-{day:02d}" for day in range(1, 32)]
    assert daily[:2] == [("2025-03-01", 1, 0, 0, 1), ("2025-03-02", 2, 1, 1, 0)]
    assert {row[1:] for row in daily[2:]} == {(0, 0, 0, 0)}
    assert rows(
        company,
        "select deployments, changes, lead_time_median_hours, failed_changes, "
        "round(change_failure_rate_pct, 3), recovery_median_minutes from reliability.dora_monthly",
    ) == [(3, 3, 4.0, 2, 66.667, 100.0)]


def test_support_first_response_resolution_and_bot_replies(company) -> None:
    assert rows(
        company,
        "select summary_date::varchar, tickets_created, first_responses, "
        "first_response_within_target_pct, first_response_median_hours, tickets_resolved, "
        "resolution_median_hours, satisfaction_mean, csat_pct "
        "from support.support_daily where summary_date < '2025-03-03' order by 1",
    ) == [
        ("2025-03-01", 2, 2, 50.0, 4.0, 1, 10.0, 2.0, 0.0),
        ("2025-03-02", 2, 0, 0.0, None, 2, 3.25, 5.0, 100.0),
    ]


def test_scorecard_values_by_hand(company) -> None:
    with company.get_connection(read_only=True) as connection:
        march = {row.metric: row.value for row in compute_scorecard(connection, date(2025, 3, 31))}
        early = {row.metric: row.value for row in compute_scorecard(connection, date(2025, 3, 3))}
        second = {row.metric: row.value for row in compute_scorecard(connection, date(2025, 3, 2))}
    assert march["mttr_minutes"] == pytest.approx(140.0)
    assert early["deploys_per_day"] == pytest.approx(3 / 28)
    assert early["uptime_pct"] == pytest.approx(100 * 6 / 7)
    assert second["support_resolution_hours"] == pytest.approx(6.0)


def section(report: str, title: str) -> list[str]:
    """The lines of one section of a rendered report, up to the next section."""
    lines = report.splitlines()
    start = lines.index(f"## {title}") + 1
    end = next((i for i in range(start, len(lines)) if lines[i].startswith("## ")), len(lines))
    return [line for line in lines[start:end] if line]


def _rendered(company: Warehouse) -> dict[str, str]:
    """The health report and the support summary as the daily schedule runs them: the
    partition of March, the month holding the data's last day, as of that day."""
    wanted = [["reliability", "health_status_report"], ["support", "support_ticket_summary"]]
    health, support = (a for a in build_report_assets() if a.key.path in wanted)
    result = materialize_reports([health, support], resources={"warehouse": company})
    assert result.success
    return {
        event.asset_key.path[0]: event.materialization.metadata["report"].value
        for event in result.get_asset_materialization_events()
    }


def test_reports_render_for_the_analyst(company) -> None:
    """Both reports are of the data's last day, 03-07 (inc_1's post-mortem, 12:00).

    Health: at the end of 03-07 inc_3 (P3, detected 03-04 09:00: 87 h, never acknowledged) and
    inc_4 (P2, 03-05 12:00: 60 h, acknowledged within 4 h) are open; inc_3 is still inside its
    28-day target then (the report no longer judges it by today's clock, which put it past
    target). Uptime over 03-01..03-07: api 3/4 = 75 %, overall 6/7; no probe on 03-07 itself, so
    no uptime of the day. The error budget at 03-07's end looks back 30 days: api 1 bad of 4 ->
    burn rate 0.25 / 0.001 = 250, budget left 1 - 250 = -249; no probe in the last 6 h. No
    deploy on 03-07 (0 of each).

    Support: the day 03-07 opened and resolved nothing; t3 (created 03-02 09:00, never
    answered) is the backlog at its end: 135 h waiting, past the 4 h target. The last 14 days
    are those of support_daily up to 03-07: March's partition starts 03-01, so 7 rows (the
    report read the newest 14 rows, 03-31 back to 03-18, before it was of a day); 03-01 and
    03-02 as support_daily's own test works them out."""
    reports = _rendered(company)
    health = reports["reliability"]
    assert health.startswith("# Health status report, as of 2025-03-07")
    assert section(health, "Incidents open at the end of the day")[2:] == [
        "| inc_4 | P2 | api | 60.00 | acknowledged within target |",
        "| inc_3 | P3 | web | 87.00 | awaiting acknowledgement, within target |",
    ]
    assert section(health, "Uptime, the 7 days ending with the day (planned maintenance excluded)")[
        2:
    ] == [
        "| api | 4 | 75.00 |  |",
        "| batch | 1 | 0.00 |  |",
        "| overall | 7 | 85.71 |  |",
        "| web | 3 | 100.00 |  |",
    ]
    assert section(health, "Error budget and burn rates at the end of the day")[2] == (
        "| api | 4 | -249.00 | 250.00 |  |  | no |"
    )
    assert section(health, "Production deploys of the day")[2] == (
        "| 2025-03-07 | 0 | 0 | 0 | 0 |  |"
    )

    support_report = reports["support"]
    assert support_report.startswith("# Support ticket summary, as of 2025-03-07")
    assert section(support_report, "The day")[2] == (
        "| 2025-03-07 | 0 | 0 | 1 |  |  |  |  | 0.10 | no |  |"
    )
    header, rule, *days = section(support_report, "Last 14 days")
    assert header == (
        "| summary_date | tickets_created | outage_tickets | first_response_within_target_pct "
        "| first_response_median_hours | tickets_resolved | resolution_median_hours "
        "| satisfaction_mean | csat_pct | is_spike |"
    )
    assert rule == "|" + "---|" * 10
    assert days == [
        *(f"| 2025-03-0{d} | 0 | 0 |  |  | 0 |  |  |  | no |" for d in range(7, 2, -1)),
        "| 2025-03-02 | 2 | 0 | 0.00 |  | 2 | 3.25 | 5.00 | 100.00 | no |",
        "| 2025-03-01 | 2 | 0 | 50.00 | 4.00 | 1 | 10.00 | 2.00 | 0.00 | no |",
    ]
    assert section(support_report, "Open tickets by priority at the end of the day") == [
        "| priority | open_tickets | awaiting_first_response | past_first_response_target |",
        "|---|---|---|---|",
        "| normal | 1 | 1 | 1 |",
    ]
    assert section(
        support_report, "Tickets waiting past the first-response target at the end of the day"
    )[2:] == ["| t3 | normal | bug | 2025-03-02 09:00:00+00:00 | 135.00 |"]
    assert section(support_report, "Recent spikes against the trailing baseline") == ["_no rows_"]


def test_reports_of_a_day_before_the_data_ends(company) -> None:
    """The partition of March rendered as of 03-02 (the period's last day when the data ends
    then): t3 (created 03-02 09:00) waits 15 h at the day's end, t1..t4 otherwise resolved by
    then; inc_1 (resolved 03-02 00:40) is not open at its end and nothing else was detected
    yet; 03-02's deploys: dep_2 and dep_3 successful, dep_4 failed, dep_2 rolled back."""
    with company.get_connection() as connection:
        # the raw data now ends on 03-02; the derived tables keep what they hold
        connection.execute("delete from raw.incidents where detected_at >= '2025-03-03'")
        connection.execute("update raw.incidents set postmortem_completed_at = null")
    reports = _rendered(company)
    assert reports["reliability"].startswith("# Health status report, as of 2025-03-02")
    assert section(reports["reliability"], "Incidents open at the end of the day") == ["_no rows_"]
    assert section(reports["reliability"], "Production deploys of the day")[2] == (
        "| 2025-03-02 | 2 | 1 | 1 | 0 |  |"
    )
    assert section(
        reports["support"], "Tickets waiting past the first-response target at the end of the day"
    )[2:] == ["| t3 | normal | bug | 2025-03-02 09:00:00+00:00 | 15.00 |"]


def test_health_and_support_export_as_html(company, tmp_path: Path) -> None:
    """`nexus report <name> --format html` of the stored versions: every section's title, and
    the figures read here from the tables the reports read."""
    _rendered(company)
    (tmp_path / "cli").mkdir()
    env = deployment(tmp_path / "cli", NEXUS_DUCKDB_PATH=str(company.resolved_path()))
    [(open_at_end, past_target)] = rows(
        company,
        "select count(*), string_agg(ticket_id, ',') filter (where first_agent_response_at "
        "is null and created_at < timestamptz '2025-03-08 00:00+00' - interval 4 hour) "
        "from support.ticket_facts where created_at < '2025-03-08 00:00+00' "
        "and (resolved_at is null or resolved_at >= '2025-03-08 00:00+00')",
    )
    [(overall,)] = rows(
        company,
        "select round(100.0 * sum(ok_probes) / sum(probes), 2) from reliability.uptime_daily "
        "where service_id = 'overall' and uptime_date between '2025-03-01' and '2025-03-07'",
    )
    for name, domain, figures in [
        ("support_ticket_summary", "support", [f"<td>{open_at_end}</td>", past_target]),
        ("health_status_report", "reliability", [f"<td>{overall:.2f}</td>", "inc_3", "inc_4"]),
    ]:
        out = tmp_path / f"{name}.html"
        nexus(env, "report", name, "--format", "html", "--out", str(out))
        page = out.read_text(encoding="utf-8")
        assert "as of 2025-03-07" in page
        declared = yaml.safe_load(
            (PROJECT_DIR / f"assets/domains/{domain}/reports.yaml").read_text()
        )
        [spec] = [s for s in declared["reports"] if s["name"] == name]
        for part in spec["sections"]:
            assert f"<h2>{part['title']}</h2>" in page
        for figure in figures:
            assert figure in page


def test_a_spike_stands_out_from_its_trailing_baseline(warehouse: Warehouse) -> None:
    """2 tickets a day 03-03..03-31, then 12 on 04-01; the run writes March and April, every day.
    Each day's baseline is the 28 days before it: 2 a day (sd 0) for both 03-31 and 04-01;
    12 > 2 + 3 x 0 and 12 >= 10, a spike; 2 is not. 04-02 (0 tickets): 27 days of 2 and the 12,
    mean 66 / 28. No other day is a spike: March's days have at most 2 tickets (under the
    minimum of 10), April's after the 1st none."""
    with warehouse.get_connection() as connection:
        ensure_ingest_tables(connection)
        quiet = [
            (f"q{day}_{n}", f"2025-03-{day:02d} 1{n}:00:00+00")
            for day in range(3, 32)
            for n in range(2)
        ]
        busy = [(f"b{n}", f"2025-04-01 {n + 8:02d}:00:00+00") for n in range(12)]
        connection.executemany(
            "insert into raw.support_tickets "
            "values ($1, 1, $2, 'normal', 'outage', null, null, 0, null)",
            quiet + busy,
        )
    materialize(warehouse, [sql_asset("ticket_facts")])
    materialize(warehouse, [sql_asset("support_daily")], "2025-03-01", "2025-04-01")
    assert rows(
        warehouse,
        "select summary_date::varchar, tickets_created, baseline_mean, is_spike "
        "from support.support_daily where summary_date between '2025-03-31' and '2025-04-02' "
        "order by 1",
    ) == [
        ("2025-03-31", 2, 2.0, False),
        ("2025-04-01", 12, 2.0, True),
        ("2025-04-02", 0, pytest.approx(66 / 28), False),
    ]
    assert rows(
        warehouse,
        "select count(*), count(distinct summary_date), min(summary_date)::varchar, "
        "max(summary_date)::varchar, sum(tickets_created) from support.support_daily",
    ) == [(61, 61, "2025-03-01", "2025-04-30", 29 * 2 + 12)]
    assert rows(
        warehouse, "select summary_date::varchar from support.support_daily where is_spike"
    ) == [("2025-04-01",)]


def test_feed_incidents_join_the_export_and_reloading_changes_nothing(company: Warehouse) -> None:
    """Feed: inc_feed opened P2 at 10:00, raised to P1 at 10:05, acknowledged 10:20, resolved
    11:00 -> a P1 from the feed, 20 min to acknowledge (within 1 h), 60 min to resolve. An
    acknowledgement of inc_3 fills the export's gap (detected 09:00, acknowledged 03-04 10:00 =
    60 min, within P3's target). Loading the same files twice leaves 5 events."""
    write_feed_file(
        feed_dir(),
        "export",
        [
            {"incident_id": "inc_feed", "event_type": "opened", "severity": "P2",
             "occurred_at": "2025-03-10T10:00:00Z", "service_id": "api", "title": "slow"},
            {"incident_id": "inc_feed", "event_type": "severity_changed", "severity": "P1",
             "occurred_at": "2025-03-10T10:05:00Z"},
            {"incident_id": "inc_feed", "event_type": "acknowledged",
             "occurred_at": "2025-03-10T10:20:00Z"},
            {"incident_id": "inc_feed", "event_type": "resolved",
             "occurred_at": "2025-03-10T11:00:00Z"},
            {"incident_id": "inc_3", "event_type": "acknowledged",
             "occurred_at": "2025-03-04T10:00:00Z"},
        ],
    )  # fmt: skip
    feed, *_ = build_assets(project())
    for _ in range(2):
        materialize(company, [feed, sql_asset("incidents")])
    assert rows(company, "select count(*) from reliability.incident_feed_events") == [(5,)]
    assert rows(
        company,
        "select incident_id, source, severity, minutes_to_acknowledge, minutes_to_resolve, "
        "acknowledged_within_target from reliability.incidents "
        "where incident_id in ('inc_feed', 'inc_3') order by 1",
    ) == [
        ("inc_3", "export+feed", "P3", 60.0, None, True),
        ("inc_feed", "feed", "P1", 20.0, 60.0, True),
    ]
