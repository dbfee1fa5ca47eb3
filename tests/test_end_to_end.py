"""The README's flows through the real `nexus` command, in the order a new user types them, on
small generated companies: each run's summary is checked against the Dagster instance's own
record, and the derived tables against what was loaded."""

from __future__ import annotations

import json
import re
import shutil
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import dagster as dg
import pytest
from deployment import DAYS, RUN_LINE, YESTERDAY, deployment, instance_of, nexus, query

from nexus_pipelines.contract import load_contract


def assert_summary_matches_instance(env: dict[str, str], output: str) -> list[re.Match]:
    """Each run the CLI reports exists in the instance with that status, and the assets it
    says it materialised are exactly the ones the instance recorded for that run."""
    runs = list(RUN_LINE.finditer(output))
    assert runs, output
    with instance_of(env) as instance:
        for line in runs:
            run = instance.get_run_by_id(line["run_id"])
            assert run is not None and run.status.value == line["status"]
            recorded = {
                record.event_log_entry.dagster_event.asset_key
                for record in instance.get_records_for_run(
                    line["run_id"], of_type=dg.DagsterEventType.ASSET_MATERIALIZATION
                ).records
            }
            assert len(recorded) == int(line["materialized"]), line.group(0)
            if line["window"] != "unpartitioned":  # the partition range the run was given
                tagged = (
                    run.tags["dagster/asset_partition_range_start"],
                    run.tags["dagster/asset_partition_range_end"],
                )
                assert " .. ".join(tagged) == line["window"], line.group(0)
    return runs


def run_of(runs: list[re.Match], partitioning: str) -> re.Match:
    """The run of that partitioning's tables (not its reports')."""
    [run] = [run for run in runs if run["partitioning"] == partitioning and not run["reports"]]
    return run


def tables_runs(runs: list[re.Match]) -> list[re.Match]:
    return [run for run in runs if not run["reports"]]


def newest_periods(first_day: date, today: date) -> dict[str, str]:
    """Worked by hand: the report runs' one partition each, the newest complete period (a week
    from Monday, a month, a quarter; the daily reports' the running month), when the data
    reaches into it."""
    last_week = today - timedelta(days=today.weekday() + 7)
    last_month = month_of(month_of(today) - timedelta(days=1))
    quarter_start = today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1)
    months_back = quarter_start.year * 12 + quarter_start.month - 1 - 3
    last_quarter = date(months_back // 12, months_back % 12 + 1, 1)
    first_monday = first_day - timedelta(days=first_day.weekday())
    first_quarter = first_day.replace(month=(first_day.month - 1) // 3 * 3 + 1, day=1)
    periods = {"days_by_month": month_of(today - timedelta(days=1))}
    if last_week >= first_monday:
        periods["weekly"] = last_week
    if last_month >= month_of(first_day):
        periods["monthly"] = last_month
    if last_quarter >= first_quarter:
        periods["quarterly"] = last_quarter
    return {name: f"{day} .. {day}" for name, day in periods.items()}


def month_of(day: date) -> date:
    return day.replace(day=1)


def written_partitions(env: dict[str, str], key: str) -> list[str]:
    """The partitions the instance records as materialised for an asset."""
    with instance_of(env) as instance:
        return sorted(instance.get_materialized_partitions(dg.AssetKey(key.split("/"))))


def days_rewritten(env: dict[str, str], run_id: str, key: str) -> set[str]:
    """The days an asset's materialisations in a run say they rewrote (`run_window`)."""
    with instance_of(env) as instance:
        records = instance.get_records_for_run(
            run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION
        ).records
    return {
        record.event_log_entry.asset_materialization.metadata["run_window"].value
        for record in records
        if record.event_log_entry.asset_materialization.asset_key == dg.AssetKey(key.split("/"))
    }


def dau_against_raw_events(env: dict[str, str]) -> tuple[list[tuple], list[tuple]]:
    """The days with active users, and the days raw.events has events on (UTC)."""
    active = query(
        env,
        "select activity_date from growth.daily_active_users where active_users > 0 order by 1",
    )
    loaded = query(
        env, "select distinct timezone('UTC', occurred_at)::date from raw.events order by 1"
    )
    return active, loaded


@pytest.fixture(scope="module")
def company_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One small generated company (its data ending yesterday), copied into each deployment."""
    out = tmp_path_factory.mktemp("company")
    env = deployment(out / "unused")
    start = (YESTERDAY - timedelta(days=DAYS - 1)).isoformat()
    args = ["--users", "300", "--days", str(DAYS), "--start", start, "--seed", "5"]
    nexus(env, "generate", *args, "--out", str(out / "files"))
    return out / "files"


def snapshot(env: dict[str, str]) -> dict[str, list[tuple]]:
    tables = ["raw.users", "raw.events", "growth.daily_active_users", "revenue.mrr_monthly"]
    return {table: query(env, f"select * from {table} order by all") for table in tables}


def test_readme_flow_generate_ingest_materialize_scorecard(
    tmp_path: Path, company_files: Path
) -> None:
    env = deployment(tmp_path)
    landing = Path(env["NEXUS_LANDING_DIR"])
    shutil.copytree(company_files, landing, dirs_exist_ok=True)

    ingested = nexus(env, "ingest", str(landing))
    log = query(
        env, "select status, rows_in, loaded, quarantined, duplicates from ingest.ingestion_log"
    )
    assert len(log) == len(load_contract())
    assert all(
        status == "loaded" and rows_in == ok + bad + dup for status, rows_in, ok, bad, dup in log
    )
    total_in = sum(row[1] for row in log)
    assert f"{total_in:,} rows in, {total_in:,} loaded, 0 quarantined, 0 duplicates" in ingested

    # the landing files are already loaded: nothing new, yet every derived asset must run
    first = nexus(env, "materialize")
    files = len(load_contract())  # one file per contract table in the generated company
    assert f"{files} files (0 loaded, {files} already loaded, 0 rejected)" in first
    every_run = assert_summary_matches_instance(env, first)
    runs = tables_runs(every_run)
    # the monthly tables first: the scorecard's days read them, and the daily tables need none
    assert [(run["partitioning"], run["status"]) for run in runs] == [
        ("monthly", "SUCCESS"),
        ("days_by_month", "SUCCESS"),
    ]
    # the data's own range, not the founding date's, widened to whole months: the months from
    # the data's first day's to the running one (its days up to yesterday), and for the monthly
    # assets the complete months of that range (the running month is not one)
    first_day = YESTERDAY - timedelta(days=DAYS - 1)
    today = YESTERDAY + timedelta(days=1)
    last_complete_month = month_of(month_of(today) - timedelta(days=1))
    assert [run["window"] for run in runs] == [
        f"{month_of(first_day)} .. {last_complete_month}",
        f"{month_of(first_day)} .. {month_of(YESTERDAY)}",
    ]
    # then the reports, each of its newest complete period only (a backfill renders the rest)
    reports = newest_periods(first_day, today)
    assert {run["partitioning"]: run["window"] for run in every_run if run["reports"]} == reports
    assert "Done: " in first and " 0 failed" in first
    with instance_of(env) as instance:
        every_key = {
            key
            for key in instance.get_asset_keys()
            if instance.get_latest_materialization_event(key) is not None
        }
    # 45 raw tables (reported by the ingest) and 93 derived assets, but for the 5 quarterly
    # reports when the data reaches no complete quarter
    assert len(every_key) == 138 - (0 if "quarterly" in reports else 5)
    months = [month_of(first_day)]
    while months[-1] < month_of(YESTERDAY):
        months.append(month_of(months[-1] + timedelta(days=31)))
    assert written_partitions(env, "growth/daily_active_users") == [str(m) for m in months]
    assert written_partitions(env, "revenue/mrr_monthly") == [
        str(m) for m in months if m <= last_complete_month
    ]
    # DAU: a row for every day of those months up to yesterday and the 3 look-back days before
    # them (0 before the data's first day),
    # users active on exactly the days the loaded events fall on
    # ... and the 3 days before the first month (its look-back for late events)
    daily = run_of(runs, "days_by_month")["run_id"]
    assert days_rewritten(env, daily, "growth/daily_active_users") == {
        f"[{month_of(first_day) - timedelta(days=3)}, {today})"
    }
    assert query(
        env,
        "select min(activity_date), max(activity_date), count(*), count(distinct activity_date), "
        f"count(*) filter (where activity_date < '{first_day}' and active_users = 0) "
        "from growth.daily_active_users",
    ) == [
        (
            month_of(first_day) - timedelta(days=3),
            YESTERDAY,
            (today - month_of(first_day)).days + 3,
            (today - month_of(first_day)).days + 3,
            (first_day - month_of(first_day)).days + 3,
        )
    ]
    active, loaded = dau_against_raw_events(env)
    assert active == loaded and loaded[0][0] == first_day and loaded[-1][0] == YESTERDAY
    assert query(env, "select count(*) from revenue.mrr_monthly")[0][0] >= 1
    # a review per cadence whose period the data reaches (the bi-weekly's is the weekly's)
    reviews = 1 + 2 * ("weekly" in reports) + ("monthly" in reports) + ("quarterly" in reports)
    assert query(env, "select count(*) from reporting.cadence_reviews")[0][0] == reviews

    records = json.loads(nexus(env, "scorecard", "--json"))
    assert len(records) == 13
    assert {record["as_of"] for record in records} == {YESTERDAY.isoformat()}
    assert sum(record["status"] != "no data" for record in records) >= 8
    # the asset's history: 13 rows for every day of the months run (and the 3 days before the
    # first, its look-back), the same values the command computes for yesterday
    assert query(
        env,
        "select min(as_of), max(as_of), count(*), count(distinct as_of) from reporting.scorecard",
    ) == [
        (
            month_of(first_day) - timedelta(days=3),
            YESTERDAY,
            13 * ((today - month_of(first_day)).days + 3),
            (today - month_of(first_day)).days + 3,
        )
    ]
    stored = query(
        env, f"select metric, value, status from reporting.scorecard where as_of = '{YESTERDAY}'"
    )
    printed = {r["metric"]: (r["value"], r["status"]) for r in records}
    assert {metric: status for metric, _, status in stored} == {
        metric: status for metric, (_, status) in printed.items()
    }
    for metric, value, _ in stored:
        expected = printed[metric][0]
        assert value == (None if expected is None else pytest.approx(expected)), metric

    # again, as the daily schedule would: the last days (the full range's re-run is what the
    # growth and revenue backfill tests check), the landing folder read again, nothing changed
    before = snapshot(env)
    start = (YESTERDAY - timedelta(days=2)).isoformat()
    again = nexus(env, "materialize", "--start", start)
    assert f"{files} files (0 loaded, {files} already loaded, 0 rejected)" in again
    runs = assert_summary_matches_instance(env, again)
    daily = run_of(runs, "days_by_month")
    assert daily["window"] == f"{month_of(date.fromisoformat(start))} .. {month_of(YESTERDAY)}"
    # the month holding those days is rewritten whole, its days up to yesterday, and the
    # 3 days before it (DAU's look-back for late events)
    assert days_rewritten(env, daily["run_id"], "growth/daily_active_users") == {
        f"[{month_of(date.fromisoformat(start)) - timedelta(days=3)}, {today})"
    }
    assert snapshot(env) == before

    # an engineer re-running those days without touching the landing folder
    partial = nexus(env, "materialize", "--skip-ingest", "--start", start)
    assert_summary_matches_instance(env, partial)
    assert "files (" not in partial  # no ingest step
    assert snapshot(env) == before


def test_revenue_only_company_gets_its_revenue_metrics(tmp_path: Path) -> None:
    """Billing's subscription periods alone, without the columns no metric needs (period ids,
    plans, intervals): growth, reliability and support inputs are empty, a normal state, so
    every asset materialises, empty where it has no input. By hand, at the end of last month:
    customers 1 (50.00) and 2 (30.00) pay; 3 is trialing and 4 ended ten days in: MRR 80.00 from
    2 new customers, ARPA 40.00."""
    env = deployment(tmp_path)
    month = (YESTERDAY.replace(day=1) - timedelta(days=1)).replace(day=1)  # last month's first
    started = f"{month.isoformat()}T00:00:00Z"
    ended = f"{(month + timedelta(days=10)).isoformat()}T00:00:00Z"
    (Path(env["NEXUS_LANDING_DIR"]) / "subscription_periods.csv").write_text(
        "subscription_id,customer_id,monthly_amount,status,started_at,ended_at\n"
        f"s1,1,50.00,active,{started},\n"
        f"s2,2,30.00,active,{started},\n"
        f"s3,3,0.00,trialing,{started},\n"
        f"s4,4,20.00,active,{started},{ended}\n"
    )
    output = nexus(env, "materialize")
    runs = tables_runs(assert_summary_matches_instance(env, output))
    # the data's own range: its one day, and the month holding it
    assert [(run["window"], run["failed"], run["skipped"]) for run in runs] == [
        (f"{month} .. {month}", "0", "0"),
        (f"{month} .. {month}", "0", "0"),
    ]
    assert query(env, "select count(*) from growth.churn_risk")[0][0] == 0
    assert query(
        env,
        "select mrr, paying_customers, new_mrr, new_customers from revenue.mrr_monthly "
        f"where month = '{month}'",
    ) == [(Decimal("80.00"), 2, Decimal("80.00"), 2)]
    records = {r["metric"]: r for r in json.loads(nexus(env, "scorecard", "--json"))}
    # nothing deployed is no data, not "0 deploys a day, missed"
    assert records["deploys_per_day"]["status"] == "no data"
    assert records["uptime_pct"]["status"] == "no data"


def test_history_ending_years_ago(tmp_path: Path) -> None:
    """A company's export of 2018-01-15..2018-03-15, founded 2018-01-15: materialised over its
    own months only (January to March, the founding month included), the first starting at the
    founding date, March whole (DAU 0 after the export's last day); scored as of its last day by
    default and as of any day asked for."""
    env = deployment(tmp_path, NEXUS_FOUNDED_ON="2018-01-15")
    landing = env["NEXUS_LANDING_DIR"]
    args = ["--users", "300", "--days", str(DAYS), "--start", "2018-01-15", "--seed", "5"]
    nexus(env, "generate", *args, "--out", landing)
    output = nexus(env, "materialize")
    runs = assert_summary_matches_instance(env, output)
    assert [(run["partitioning"], run["window"]) for run in tables_runs(runs)] == [
        ("monthly", "2018-01-01 .. 2018-03-01"),  # January (the founding month) to March
        ("days_by_month", "2018-01-01 .. 2018-03-01"),
    ]
    months = ["2018-01-01", "2018-02-01", "2018-03-01"]
    assert written_partitions(env, "growth/daily_active_users") == months
    assert written_partitions(env, "revenue/mrr_monthly") == months
    assert days_rewritten(
        env, run_of(runs, "days_by_month")["run_id"], "growth/daily_active_users"
    ) == {"[2018-01-15, 2018-04-01)"}
    # 17 days of January from the 15th, 28 of February, 31 of March: 76 rows; the 16 after
    # 03-15 have no events
    assert query(
        env,
        "select min(activity_date), max(activity_date), count(*), count(distinct activity_date), "
        "count(*) filter (where activity_date > '2018-03-15' and active_users = 0) "
        "from growth.daily_active_users",
    ) == [(date(2018, 1, 15), date(2018, 3, 31), 76, 76, 16)]
    active, loaded = dau_against_raw_events(env)
    assert active == loaded and loaded[0][0] == date(2018, 1, 15)
    assert loaded[-1][0] == date(2018, 3, 15)

    latest = json.loads(nexus(env, "scorecard", "--json"))
    assert {record["as_of"] for record in latest} == {"2018-03-15"}
    assert sum(record["status"] != "no data" for record in latest) >= 8
    february = json.loads(nexus(env, "scorecard", "--as-of", "2018-02-28", "--json"))
    assert {record["as_of"] for record in february} == {"2018-02-28"}
    # the asset's history: every day from the founding date to the data's end (not after it)
    stored = query(
        env, "select min(as_of), max(as_of), count(distinct as_of) from reporting.scorecard"
    )
    assert stored == [(date(2018, 1, 15), date(2018, 3, 15), 17 + 28 + 15)]
