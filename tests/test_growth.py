"""Growth and retention (issue #3) on a small company whose every answer is worked out by hand.

Raw data used by every test (times UTC; 2025-03-09 is when New York moves from UTC-5 to UTC-4):
  users   u1 03-01 10:00 organic | u2 03-01 23:30 paid_search | u3 03-02 12:00 referral
          u4 03-03 09:00 organic | u5 03-05 10:00 social
  events  e1 u1 03-01 10:05 session | e2 u1 03-02 09:00 project_created | e3 u2 03-02 00:10 session
          e4 u3 03-02 13:00 project_created | e5 u4 03-02 20:00 session (before u4's signup)
          e6 u4 03-03 09:30 session | e7 u1 03-08 11:00 | e8 u3 03-09 14:00 | e9 u1 03-31 10:00
          e10 u3 04-02 10:00 (sessions)
  paid    u1 from 03-05, u4 from 03-04 (u4 never activates)

Active user-days in UTC (day number = days since the signup day): u1 03-01 d0, 03-02 d1, 03-08 d7,
03-31 d30; u2 03-02 d1; u3 03-02 d0, 03-09 d7, 04-02 d31; u4 03-03 d0. u4's 03-02 event precedes
its signup: not counted, and the no_activity_before_signup check flags it (1 event).
Signup cohorts: 03-01 = {u1, u2}, 03-02 = {u3}, 03-03 = {u4}, 03-05 = {u5}.

The tables of daily rows are partitioned by month (keys "2025-03-01", ...). A run of month M
rewrites M's days (a complete month: all of them; the running month: up to yesterday), and an
asset with a look-back also the days (signup cohorts) that many days before M. So the last
computed day of a run is the end of its newest month, not the last day with data. Unless a test
says otherwise it runs on the real clock (2025 is long past: every month is complete); `today_is`
makes a month the running one.
"""

import random
from datetime import date, timedelta
from typing import Any

import dagster as dg
import pandas as pd
import pytest
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.text import Text
from pictures import decoded_png, twice_the_old_size

from nexus_pipelines import partitions
from nexus_pipelines.contract import load_contract
from nexus_pipelines.domains import growth
from nexus_pipelines.project import project
from nexus_pipelines.scorecard import compute_scorecard
from nexus_pipelines.sql_assets import (
    build_sql_asset,
    declaration_named,
    load_declarations,
    rewritten_window,
    write_window,
)
from nexus_pipelines.warehouse import Warehouse

USERS = [
    (1, "2025-03-01 10:00:00+00", "organic", None),
    (2, "2025-03-01 23:30:00+00", "paid_search", None),
    (3, "2025-03-02 12:00:00+00", "referral", 1),
    (4, "2025-03-03 09:00:00+00", "organic", None),
    (5, "2025-03-05 10:00:00+00", "social", None),
]
EVENTS = [
    (1, 1, "2025-03-01 10:05:00+00", "session_start"),
    (2, 1, "2025-03-02 09:00:00+00", "project_created"),
    (3, 2, "2025-03-02 00:10:00+00", "session_start"),
    (4, 3, "2025-03-02 13:00:00+00", "project_created"),
    (5, 4, "2025-03-02 20:00:00+00", "session_start"),
    (6, 4, "2025-03-03 09:30:00+00", "session_start"),
    (7, 1, "2025-03-08 11:00:00+00", "session_start"),
    (8, 3, "2025-03-09 14:00:00+00", "session_start"),
    (9, 1, "2025-03-31 10:00:00+00", "session_start"),
    (10, 3, "2025-04-02 10:00:00+00", "session_start"),
]
PAID = [("p1", 1, "2025-03-05 00:00:00+00"), ("p4", 4, "2025-03-04 00:00:00+00")]
# The growth tables of daily rows, partitioned by month (days_by_month), in dependency order.
DAYS_BY_MONTH = [
    "user_activity_days",
    "active_users_rolling",
    "cohort_retention_daily",
    "day_n_retention",
    "activation_by_cohort",
    "funnel_by_cohort",
]


def load_raw(warehouse: Warehouse) -> None:
    with warehouse.get_connection() as connection:
        for table in load_contract().values():
            connection.execute(table.ddl())
        for user_id, signup_at, channel, referrer in USERS:
            connection.execute(
                "insert into raw.users values ($1, $2, $3, $4, 'free', 'self_serve', 'DE', 'core')",
                [user_id, signup_at, channel, referrer],
            )
        for event_id, user_id, occurred_at, name in EVENTS:
            connection.execute(
                "insert into raw.events values ($1, $2, $3, $4, 'core')",
                [event_id, user_id, occurred_at, name],
            )
        for period_id, user_id, started_at in PAID:
            connection.execute(
                "insert into raw.subscription_periods "
                "values ($1, $1, $2, 'starter', 'month', 19.00, 'active', $3, null)",
                [period_id, user_id, started_at],
            )


def days_by_month_assets(*names: str) -> list[dg.AssetsDefinition]:
    signups = next(d for d in load_declarations() if d.name == "signups_by_channel_daily")
    return [
        build_sql_asset(signups),
        *(build_sql_asset(declaration_named(name)) for name in names),
    ]


def months(first: str, last: str) -> list[str]:
    """The month keys first..last, both month starts ("2025-03-01" .. "2025-05-01")."""
    month, end = date.fromisoformat(first), date.fromisoformat(last)
    # Dagster takes a day key ("2025-03-08") silently as the NEXT month: never pass one.
    assert month.day == 1 and end.day == 1, f"{first} .. {last}: month keys only"
    keys = []
    while month <= end:
        keys.append(month.isoformat())
        month = (month + timedelta(days=32)).replace(day=1)
    return keys


def materialize_range(warehouse: Warehouse, first: str, last: str, names=DAYS_BY_MONTH):
    """One run of the months first..last (month keys), as a backfill runs a range; every asset
    materialises exactly those months."""
    result = dg.materialize(
        days_by_month_assets(*names),
        resources={"warehouse": warehouse},
        tags={
            "dagster/asset_partition_range_start": first,
            "dagster/asset_partition_range_end": last,
        },
    )
    assert result.success
    materialized = {
        (event.asset_key.path[-1], event.partition)
        for event in result.get_asset_materialization_events()
    }
    assert materialized == {
        (name, key) for name in ("signups_by_channel_daily", *names) for key in months(first, last)
    }
    return result


def run_windows(result) -> dict[str, str]:
    """The days each asset's run rewrote, "[first, end)"."""
    return {
        event.asset_key.path[-1]: event.materialization.metadata["run_window"].value
        for event in result.get_asset_materialization_events()
    }


def today_is(monkeypatch: pytest.MonkeyPatch, today: date) -> None:
    """Run as if on `today` (reporting timezone): its month is the running one and holds only
    the days up to yesterday."""
    monkeypatch.setattr(partitions, "last_complete_day", lambda now=None: today - timedelta(1))


def materialize_whole(warehouse: Warehouse, assets: list[dg.AssetsDefinition]):
    result = dg.materialize(assets, resources={"warehouse": warehouse})
    assert result.success
    return result


def rows(warehouse: Warehouse, sql: str) -> list[tuple]:
    with warehouse.get_connection(read_only=True) as connection:
        return connection.execute(sql).fetchall()


def failed_checks(result) -> dict[str, dict]:
    return {
        f"{check.asset_key.path[-1]}.{check.check_name}": check.metadata
        for check in result.get_asset_check_evaluations()
        if not check.passed
    }


def spans(*segments: tuple[str, str, Any]) -> dict[date, Any]:
    """{day: value} for segments (first day, last day, value), both days included."""
    found: dict[date, Any] = {}
    for first, last, value in segments:
        day = date.fromisoformat(first)
        while day <= date.fromisoformat(last):
            found[day] = value
            day += timedelta(days=1)
    return found


def test_dau_wau_mau_by_hand_over_a_range_and_one_day(warehouse: Warehouse) -> None:
    """Active days (UTC; u4's 03-02 event precedes its signup): u1 03-01, 03-02, 03-08, 03-31 |
    u2 03-02 | u3 03-02, 03-09, 04-02 | u4 03-03. WAU = trailing 7 days (d-6..d), MAU =
    trailing 30 days (d-29..d). The run of March and April rewrites 02-26..04-30 (the 3
    growth_late_event_days before March look-back days): 3 + 31 + 30 = 64 days, every one a row.
      02-26..02-28 nobody: 0 0 0.   03-01 u1: 1 1 1.   03-02 u1 u2 u3: 3 3 3.
      03-03 u4: DAU 1; u1 u2 u3 u4 within 7 and 30 days: 1 4 4; 03-04..03-07: 0 4 4.
      03-08 u1; 03-02..03-08 holds all four: 1 4 4.   03-09 u3; 03-03..03-09 = u4 u1 u3: 1 3 4.
      03-10..03-14: 03-04.. holds u1 (03-08) u3 (03-09): 0 2 4.   03-15: 03-09.. = u3: 0 1 4.
      03-16..03-30: nobody in 7 days, MAU 03-01.. (up to 03-30) all four: 0 0 4.
      03-31 u1; MAU 03-02..03-31 still holds u2's 03-02: 1 1 4.
      04-01: MAU 03-03..04-01 = u4 u1 u3 (u2 has left): 0 1 3.
      04-02 u3; WAU 03-27..04-02 = u1 u3; MAU 03-04..04-02 = u1 u3 (u4 has left): 1 2 2.
      04-03..04-06: WAU up to 03-31..04-06 = u1 u3: 0 2 2.   04-07, 04-08: WAU = u3: 0 1 2.
      04-09..04-29: WAU 0; MAU (up to 03-31..04-29) = u1 u3: 0 0 2.   04-30: 04-01.. = u3: 0 0 1.
    Then the rows from 03-29 on are deleted and April's run alone rebuilds them: it rewrites
    03-29..04-30 (look-back 3) and reads the activity before them on its own."""
    load_raw(warehouse)
    names = ("user_activity_days", "active_users_rolling")
    materialize_range(warehouse, "2025-03-01", "2025-04-01", names=names)
    expected = spans(
        ("2025-02-26", "2025-02-28", (0, 0, 0)),
        ("2025-03-01", "2025-03-01", (1, 1, 1)),
        ("2025-03-02", "2025-03-02", (3, 3, 3)),
        ("2025-03-03", "2025-03-03", (1, 4, 4)),
        ("2025-03-04", "2025-03-07", (0, 4, 4)),
        ("2025-03-08", "2025-03-08", (1, 4, 4)),
        ("2025-03-09", "2025-03-09", (1, 3, 4)),
        ("2025-03-10", "2025-03-14", (0, 2, 4)),
        ("2025-03-15", "2025-03-15", (0, 1, 4)),
        ("2025-03-16", "2025-03-30", (0, 0, 4)),
        ("2025-03-31", "2025-03-31", (1, 1, 4)),
        ("2025-04-01", "2025-04-01", (0, 1, 3)),
        ("2025-04-02", "2025-04-02", (1, 2, 2)),
        ("2025-04-03", "2025-04-06", (0, 2, 2)),
        ("2025-04-07", "2025-04-08", (0, 1, 2)),
        ("2025-04-09", "2025-04-29", (0, 0, 2)),
        ("2025-04-30", "2025-04-30", (0, 0, 1)),
    )
    assert len(expected) == 64

    def found() -> dict[date, tuple[int, int, int]]:
        table = rows(
            warehouse, "select activity_date, dau, wau, mau from growth.active_users_rolling"
        )
        return {day: tuple(counts) for day, *counts in table}

    assert found() == expected
    with warehouse.get_connection() as connection:
        for name in names:
            connection.execute(f"delete from growth.{name} where activity_date >= '2025-03-29'")
    assert len(found()) == 31
    result = materialize_range(warehouse, "2025-04-01", "2025-04-01", names=names)
    assert run_windows(result) == {
        "signups_by_channel_daily": "[2025-04-01, 2025-05-01)",
        "user_activity_days": "[2025-03-29, 2025-05-01)",
        "active_users_rolling": "[2025-03-29, 2025-05-01)",
    }
    assert found() == expected


def test_dau_wau_mau_equal_a_brute_force_count_on_random_activity(warehouse: Warehouse) -> None:
    """400 random events of 40 users over the 90 days of January-March 2025: each day's counts
    equal the distinct users found by scanning that day's trailing 7 and 30 days in Python.
    The run of the months January..March writes 2024-12-29..2025-03-31: the 3 look-back days
    and 31 + 28 + 31 = 90 days, every one a row."""
    load_raw(warehouse)
    generator = random.Random(7)
    with warehouse.get_connection() as connection:
        connection.execute("delete from raw.events")
        connection.execute("delete from raw.users")
        for user_id in range(1, 41):
            connection.execute(
                "insert into raw.users values ($1, '2025-01-01', 'organic', null, 'free', "
                "'self_serve', 'DE', 'core')",
                [user_id],
            )
        for event_id in range(400):
            connection.execute(
                "insert into raw.events values ($1, $2, timestamptz '2025-01-01' + "
                "to_minutes($3), 'session_start', 'core')",
                [event_id, generator.randint(1, 40), generator.randrange(90 * 24 * 60)],
            )
    materialize_range(
        warehouse, "2025-01-01", "2025-03-01", names=("user_activity_days", "active_users_rolling")
    )
    active = rows(warehouse, "select activity_date, user_id from growth.user_activity_days")
    computed = rows(
        warehouse, "select activity_date, dau, wau, mau from growth.active_users_rolling"
    )
    assert len(computed) == 3 + 90
    assert min(computed)[0] == date(2024, 12, 29) and max(computed)[0] == date(2025, 3, 31)
    for day, dau, wau, mau in computed:

        def users_within(days: int, day=day) -> int:
            return len({user for active_day, user in active if 0 <= (day - active_day).days < days})

        assert (dau, wau, mau) == (users_within(1), users_within(7), users_within(30)), day


def test_daily_cohort_retention_by_hand_with_a_cohort_too_young_for_day_30(
    warehouse: Warehouse,
) -> None:
    """Computed through March alone: the last computed day is 03-31, so a cell on a day after
    it (in April) is immature and NULL. Each cohort has days 0-30: 4 x 31 = 124 rows.
    Cohort 03-01 (u1, u2; 2 users): u1 on days 0, 1, 7, 30 (03-31); u2 on day 1. 'On': day 0 =
    u1 -> 50; day 1 = u1, u2 -> 100; day 7 = u1 -> 50; day 30 (03-31, the last computed day, so
    mature) = u1 -> 50; other days 0. 'On or after' (last tracked day u1 30, u2 1): days 0-1 ->
    2 = 100, days 2-30 -> u1 = 50.
    Cohort 03-02 (u3): on days 0 and 7 (04-02 is day 31, untracked and not yet computed) -> 100,
    other days 0; on or after: days 0-7 100, days 8-29 0. Day 30 = 04-01, after 03-31: the
    cohort is too young for Day 30 -> NULL.
    Cohort 03-03 (u4; the 03-02 event before signup is not counted): day 0 -> 100, days 1-28
    (to 03-31) 0; days 29, 30 (04-01, 04-02) NULL. Cohort 03-05 (u5, never active): days 0-26
    (to 03-31) 0, days 27-30 NULL.
    Day-N: 03-01 d1 100, d7 50, d30 50 | 03-02 d1 0, d7 100, d30 NULL | 03-03 d1 0, d7 0, d30
    NULL | 03-05 d1 0, d7 (03-12) 0, d30 NULL.
    Checks: rates within 0-100 and cohort sizes = signups (2+1+1+1) pass; the event before
    signup is flagged (WARN) with a count of 1."""
    load_raw(warehouse)
    result = materialize_range(warehouse, "2025-03-01", "2025-03-01")
    assert failed_checks(result) == {
        "user_activity_days.no_activity_before_signup": {
            "events_before_signup": dg.IntMetadataValue(1)
        }
    }
    immature = (None, None, None)
    # cohort: (size, [(first day number, last day number, (retained, on %, on or after %))])
    by_hand = {
        date(2025, 3, 1): (
            2,
            [
                (0, 0, (1, 50.0, 100.0)),
                (1, 1, (2, 100.0, 100.0)),
                (2, 6, (0, 0.0, 50.0)),
                (7, 7, (1, 50.0, 50.0)),
                (8, 29, (0, 0.0, 50.0)),
                (30, 30, (1, 50.0, 50.0)),
            ],
        ),
        date(2025, 3, 2): (
            1,
            [
                (0, 0, (1, 100.0, 100.0)),
                (1, 6, (0, 0.0, 100.0)),
                (7, 7, (1, 100.0, 100.0)),
                (8, 29, (0, 0.0, 0.0)),
                (30, 30, immature),
            ],
        ),
        date(2025, 3, 3): (
            1,
            [(0, 0, (1, 100.0, 100.0)), (1, 28, (0, 0.0, 0.0)), (29, 30, immature)],
        ),
        date(2025, 3, 5): (1, [(0, 26, (0, 0.0, 0.0)), (27, 30, immature)]),
    }
    expected = [
        (cohort, day, size, *cell)
        for cohort, (size, segments) in by_hand.items()
        for first, last, cell in segments
        for day in range(first, last + 1)
    ]
    assert len(expected) == 4 * 31
    assert (
        rows(
            warehouse,
            "select signup_date, day_number, cohort_size, retained_users, retention_pct, "
            "retention_on_or_after_pct from growth.cohort_retention_daily order by 1, 2",
        )
        == expected
    )
    assert rows(
        warehouse,
        "select signup_date, cohort_size, d1_retention_pct, d7_retention_pct, d30_retention_pct "
        "from growth.day_n_retention order by 1",
    ) == [
        (date(2025, 3, 1), 2, 100.0, 50.0, 50.0),
        (date(2025, 3, 2), 1, 0.0, 100.0, None),
        (date(2025, 3, 3), 1, 0.0, 0.0, None),
        (date(2025, 3, 5), 1, 0.0, 0.0, None),
    ]


def test_event_after_midnight_utc_is_day_0_in_new_york(
    warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The partition 2025-03-01 of a New York deployment: 03-01 00:00 EST to 04-01 00:00 EDT.
    A run rewrites it and the look-back before it, at New York midnights: user_activity_days
    3 days (02-26..03-31), cohort_retention_daily 30 + 3 = 33 days (03-01 - 33 = 01-27).
    u2 signs up 03-01 23:30 UTC = 18:30 New York (UTC-5) and is seen 03-02 00:10 UTC =
    03-01 19:10 New York. In UTC that is day 1 of cohort 03-01; in New York it is day 0.
    u1 (signup 05:00, events 05:05 and next day 04:00 New York) is day 0 and day 1 either way.
    So cohort 03-01 in New York: day 0 = u1, u2 -> 100; day 1 = u1 -> 50 (UTC: 50 and 100).
    All active days in New York: 03-01 u1 d0, u2 d0 | 03-02 u1 d1 (04:00), u3 d0 (08:00) |
    03-03 u4 d0 (04:30; its 03-02 15:00 event precedes signup) | 03-08 u1 d7 (06:00 EST) |
    03-09 u3 d7 (10:00 EDT) | 03-31 u1 d30 (06:00 EDT); 04-02 is in the next partition."""
    monkeypatch.setenv("NEXUS_REPORTING_TZ", "America/New_York")
    load_raw(warehouse)
    new_york = dg.MonthlyPartitionsDefinition(
        start_date="2024-01-01", timezone="America/New_York", end_offset=1
    )
    window = new_york.time_window_for_partition_key("2025-03-01")
    zone = window.start.tzinfo
    reach = {
        "user_activity_days": date(2025, 2, 26),
        "cohort_retention_daily": date(2025, 1, 27),
    }
    with warehouse.get_connection() as connection:
        for name, first in reach.items():
            declaration = declaration_named(name)
            start, end = rewritten_window(declaration, window)
            assert (start, end) == (partitions.local_midnight(first, zone), window.end), name
            assert end == partitions.local_midnight(date(2025, 4, 1), zone)
            write_window(connection, declaration, start, end)
    assert rows(
        warehouse,
        "select day_number, retained_users, retention_pct from growth.cohort_retention_daily "
        "where signup_date = '2025-03-01' and day_number <= 1 order by 1",
    ) == [(0, 2, 100.0), (1, 1, 50.0)]
    assert rows(
        warehouse,
        "select activity_date, user_id, day_number from growth.user_activity_days order by 1, 2",
    ) == [
        (date(2025, 3, 1), 1, 0),
        (date(2025, 3, 1), 2, 0),
        (date(2025, 3, 2), 1, 1),
        (date(2025, 3, 2), 3, 0),
        (date(2025, 3, 3), 4, 0),
        (date(2025, 3, 8), 1, 7),
        (date(2025, 3, 9), 3, 7),
        (date(2025, 3, 31), 1, 30),
    ]


def test_activation_and_funnel_by_hand(warehouse: Warehouse) -> None:
    """Two more users sign up at the end of March: u6 03-24 12:00 (project_created 03-25 12:00,
    paying from 04-10) and u7 03-25 12:00 (project_created 04-01 08:00, within its 7 days).
    March alone, then April alone, as the daily schedule runs them.
    After March (last computed day 03-31). Activation (project_created within 7 days; NULL
    for cohorts younger than 7 days): 03-01: u1 at 03-02 09:00 (within [03-01 10:00,
    03-08 10:00)), u2 never -> 1 of 2 = 50; 03-02: u3 on day 0 -> 100; 03-03: u4 never -> 0;
    03-05: u5 never, 03-12 <= 03-31 -> 0; 03-24: 03-31 <= 03-31, mature, u6 -> 100;
    03-25: 04-01 > 03-31 -> NULL, though u7 will activate.
    Funnel (30 days, strict; NULL until the window closes): only 03-01 is closed (03-31 <=
    03-31): 2 signups, 1 activated (u1), 1 paying (u1 activated and paid from 03-05 < 03-31
    10:00) -> 50 / 50, step 100. 03-02 closes 04-01: NULL, and every later cohort.
    After April (last computed day 04-30; activation re-computes the cohorts from 03-22, the
    funnel from 02-27): activation 03-25 -> u7 on 04-01 08:00 < 04-01 12:00 -> 100. Funnel,
    all closed (03-25 + 30 = 04-24): 03-01 as above; 03-02: u3 activated, never pays -> 1, 1,
    0 -> 100 / 0, step 0; 03-03: u4 pays but never activated -> 0 paying, step 0/0 = NULL;
    03-05: 0 of 1, step NULL; 03-24: u6 activated, pays from 04-10 < 04-23 12:00 -> 100 / 100,
    step 100; 03-25: u7 activated, never pays -> 100 / 0, step 0."""
    load_raw(warehouse)
    with warehouse.get_connection() as connection:
        connection.execute(
            "insert into raw.users values "
            "(6, '2025-03-24 12:00:00+00', 'organic', null, 'free', 'self_serve', 'DE', 'core'), "
            "(7, '2025-03-25 12:00:00+00', 'organic', null, 'free', 'self_serve', 'DE', 'core')"
        )
        connection.execute(
            "insert into raw.events values "
            "(11, 6, '2025-03-25 12:00:00+00', 'project_created', 'core'), "
            "(12, 7, '2025-04-01 08:00:00+00', 'project_created', 'core')"
        )
        connection.execute(
            "insert into raw.subscription_periods values "
            "('p6', 'p6', 6, 'starter', 'month', 19.00, 'active', '2025-04-10 00:00:00+00', null)"
        )
    names = ("user_activity_days", "activation_by_cohort", "funnel_by_cohort")
    activation = (
        "select signup_date, cohort_size, activated_users, activation_rate_pct "
        "from growth.activation_by_cohort order by 1"
    )
    funnel = (
        "select signup_date, signups, activated_users, paying_users, activated_pct, paying_pct, "
        "paying_step_pct from growth.funnel_by_cohort order by 1"
    )
    closed_first = (date(2025, 3, 1), 2, 1, 1, 50.0, 50.0, 100.0)
    materialize_range(warehouse, "2025-03-01", "2025-03-01", names=names)
    assert rows(warehouse, activation) == [
        (date(2025, 3, 1), 2, 1, 50.0),
        (date(2025, 3, 2), 1, 1, 100.0),
        (date(2025, 3, 3), 1, 0, 0.0),
        (date(2025, 3, 5), 1, 0, 0.0),
        (date(2025, 3, 24), 1, 1, 100.0),
        (date(2025, 3, 25), 1, None, None),
    ]
    assert rows(warehouse, funnel) == [closed_first] + [
        (date(2025, 3, day), 1, None, None, None, None, None) for day in (2, 3, 5, 24, 25)
    ]
    result = materialize_range(warehouse, "2025-04-01", "2025-04-01", names=names)
    assert failed_checks(result) == {}
    assert rows(warehouse, activation) == [
        (date(2025, 3, 1), 2, 1, 50.0),
        (date(2025, 3, 2), 1, 1, 100.0),
        (date(2025, 3, 3), 1, 0, 0.0),
        (date(2025, 3, 5), 1, 0, 0.0),
        (date(2025, 3, 24), 1, 1, 100.0),
        (date(2025, 3, 25), 1, 1, 100.0),
    ]
    assert rows(warehouse, funnel) == [
        closed_first,
        (date(2025, 3, 2), 1, 1, 0, 100.0, 0.0, 0.0),
        (date(2025, 3, 3), 1, 0, 0, 0.0, 0.0, None),
        (date(2025, 3, 5), 1, 0, 0, 0.0, 0.0, None),
        (date(2025, 3, 24), 1, 1, 1, 100.0, 100.0, 100.0),
        (date(2025, 3, 25), 1, 1, 0, 100.0, 0.0, 0.0),
    ]


def test_monthly_growth_scorecard_and_a_month_after_zero_users(
    warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run on 04-03: April is the running month and its partition holds 04-01..04-02, so the
    daily tables are computed through 04-02 (active_users_rolling: the 3 look-back days
    02-26..02-28, 31 March days and 2 April days = 36 rows); monthly_active_users takes the
    last day with activity (04-02) as the last computed day, which on 04-03 it is.
    February has no active users, so March's MoM is NULL, not infinity. March MAU = u1, u2,
    u3, u4 = 4. April is running: month to date (04-01..04-02) = u3 -> 1, against the same
    days of March (03-01..03-02) = u1, u2, u3 -> 3: MoM = (1 - 3) / 3 x 100 = -66.67.
    Scorecard as of 04-02 gives the same; as of 03-31 (a complete month against an empty
    February) it has no value.
    D30 as of 04-02: cohorts whose day 30 fell in the last 28 days: 03-01 (day 30 = 03-31: u1 of
    2), 03-02 (04-01: 0 of 1), 03-03 (04-02: 0 of 1) -> 1 / 4 = 25.
    D7 as of 03-10: 03-01 (u1 of 2), 03-02 (u3 of 1), 03-03 (0 of 1) -> 2 / 4 = 50.
    Activation as of 03-10: 03-01 1/2, 03-02 1/1, 03-03 0/1 (03-05 not mature) -> 2 / 4 = 50."""
    today_is(monkeypatch, date(2025, 4, 3))
    load_raw(warehouse)
    materialize_range(warehouse, "2025-03-01", "2025-04-01")
    assert rows(
        warehouse,
        "select count(*), min(activity_date), max(activity_date) from growth.active_users_rolling",
    ) == [(36, date(2025, 2, 26), date(2025, 4, 2))]
    (mau,) = [a for a in growth_sql_assets() if a.key.path[-1] == "monthly_active_users"]
    materialize_whole(warehouse, [mau])
    assert rows(
        warehouse,
        "select month, is_complete, mau, previous_mau, mom_growth_pct "
        "from growth.monthly_active_users order by 1",
    ) == [
        (date(2025, 3, 1), True, 4, 0, None),
        (date(2025, 4, 1), False, 1, 3, -66.67),
    ]
    with warehouse.get_connection(read_only=True) as connection:

        def value(metric: str, as_of: date) -> float | None:
            found = next(r for r in compute_scorecard(connection, as_of) if r.metric == metric)
            return None if found.value is None else round(found.value, 2)

        assert value("mom_user_growth_pct", date(2025, 4, 2)) == -66.67
        assert value("mom_user_growth_pct", date(2025, 3, 31)) is None
        assert value("d30_retention_pct", date(2025, 4, 2)) == 25.0
        assert value("d7_retention_pct", date(2025, 3, 10)) == 50.0
        assert value("activation_rate_pct", date(2025, 3, 10)) == 50.0


def growth_sql_assets() -> list[dg.AssetsDefinition]:
    return [build_sql_asset(d) for d in load_declarations() if d.domain == "growth"]


def test_late_event_reaches_its_cohort_and_a_daily_run_rewrites_only_its_reach(
    warehouse: Warehouse,
) -> None:
    """Reach of a daily run: the daily schedule asks for the month holding yesterday, here
    April (any tick 04-02..05-01). Its run rewrites user_activity_days from 3 days before April
    (late_event_days 3): 03-29..04-30, and cohort_retention_daily the cohorts from 30 + 3 = 33
    days before April (04-01 - 33 = 02-27) to 04-30, the only cohorts with a cell on a day that
    late events may still change.
    After a backfill of March and April, two events arrive late: u3 on 03-29 (the first day of
    the reach) and u2 on 03-28 (the day before it).
    Before: cohort 03-02 (u3: days 0, 7; 04-02 is day 31, untracked) day 27 (03-29) = 0 of 1,
    on or after 0; cohort 03-01 (u1 days 0, 1, 7, 30; u2 day 1) day 27 (03-28) = 0 of 2, on or
    after u1 = 50.
    April's run: u3's 03-29 lands (u3 active days 03-02, 03-09, 03-29, 04-02 = 4) and reaches
    its cohort: 03-02 day 27 = 1 of 1 -> 100, on or after 100 (days 8-27 too: day 8 = 0 'on',
    100 on or after). u2's 03-28 is older than the reach: not picked up (u2 stays 1 active day)
    and cohort 03-01, though rewritten, keeps day 27 = 0, 50.
    Re-running March brings it in: u2 2 active days; cohort 03-01 day 27 = u2, 1 of 2 -> 50,
    on or after u1, u2 -> 100."""
    load_raw(warehouse)
    names = ("user_activity_days", "cohort_retention_daily")
    materialize_range(warehouse, "2025-03-01", "2025-04-01", names=names)
    cells = (
        "select signup_date, day_number, retained_users, retention_pct, "
        "retention_on_or_after_pct from growth.cohort_retention_daily "
        "where (signup_date, day_number) in "
        "(('2025-03-01', 27), ('2025-03-02', 8), ('2025-03-02', 27)) order by 1, 2"
    )
    days_of = "select user_id, count(*) from growth.user_activity_days group by 1 order by 1"
    first, second = date(2025, 3, 1), date(2025, 3, 2)
    assert rows(warehouse, cells) == [
        (first, 27, 0, 0.0, 50.0),
        (second, 8, 0, 0.0, 0.0),
        (second, 27, 0, 0.0, 0.0),
    ]
    with warehouse.get_connection() as connection:
        connection.execute(
            "insert into raw.events values "
            "(11, 3, '2025-03-29 08:00:00+00', 'session_start', 'core'), "
            "(12, 2, '2025-03-28 12:00:00+00', 'session_start', 'core')"
        )
    result = materialize_range(warehouse, "2025-04-01", "2025-04-01", names=names)
    assert run_windows(result) == {
        "signups_by_channel_daily": "[2025-04-01, 2025-05-01)",
        "user_activity_days": "[2025-03-29, 2025-05-01)",
        "cohort_retention_daily": "[2025-02-27, 2025-05-01)",
    }
    assert rows(warehouse, days_of) == [(1, 4), (2, 1), (3, 4), (4, 1)]
    assert rows(warehouse, cells) == [
        (first, 27, 0, 0.0, 50.0),
        (second, 8, 0, 0.0, 100.0),
        (second, 27, 1, 100.0, 100.0),
    ]
    materialize_range(warehouse, "2025-03-01", "2025-03-01", names=names)
    assert rows(warehouse, days_of) == [(1, 4), (2, 2), (3, 4), (4, 1)]
    assert rows(warehouse, cells) == [
        (first, 27, 1, 50.0, 100.0),
        (second, 8, 0, 0.0, 100.0),
        (second, 27, 1, 100.0, 100.0),
    ]


def test_backfill_over_a_range_equals_materialising_each_month(tmp_path) -> None:
    """Every growth table of daily rows, backfilled in one run over the months March..May,
    leaves the same tables as one run per month in calendar order (as the daily schedule last
    runs each month, the day after it ends), and re-running the months April..May changes
    nothing. The months depend on each other: April's MAU counts March's users; cohort 03-02's
    day 30 (04-01) is NULL after March's run alone (March is computed through 03-31) and only
    April's run, re-computing the cohorts from 02-27, matures it (0 of 1); May 01's MAU counts
    u3's 04-02. So the month-by-month tables equal the backfill only if each run's look-back
    reads and rewrites across the month boundary."""
    backfilled = Warehouse(database=str(tmp_path / "backfill.duckdb"))
    month_by_month = Warehouse(database=str(tmp_path / "monthly.duckdb"))
    for target in (backfilled, month_by_month):
        load_raw(target)
    materialize_range(backfilled, "2025-03-01", "2025-05-01")
    day_30 = (
        "select retained_users, retention_pct from growth.cohort_retention_daily "
        "where signup_date = '2025-03-02' and day_number = 30"
    )
    may_first = (
        "select dau, wau, mau from growth.active_users_rolling where activity_date = '2025-05-01'"
    )
    assert rows(backfilled, day_30) == [(0, 0.0)]
    assert rows(backfilled, may_first) == [(0, 0, 1)]
    keys = months("2025-03-01", "2025-05-01")
    for key in keys:
        materialize_range(month_by_month, key, key)
        if key == "2025-03-01":
            assert rows(month_by_month, day_30) == [(None, None)]
    assert rows(month_by_month, day_30) == [(0, 0.0)]

    def same_tables() -> None:
        for name in DAYS_BY_MONTH:
            sql = f"select * from growth.{name} order by all"
            expected = rows(backfilled, sql)
            assert expected, name
            assert rows(month_by_month, sql) == expected, name

    same_tables()
    materialize_range(month_by_month, keys[1], keys[-1])
    same_tables()


def cell_texts(heatmap: Figure) -> dict[tuple[int, int], Text]:
    """The heat map's cell texts by (row, column), row 0 at the top."""
    return {
        (round(text.get_position()[1]), round(text.get_position()[0])): text
        for text in heatmap.axes[0].texts
    }


def cell_labels(heatmap: Figure) -> dict[tuple[int, int], str]:
    return {cell: text.get_text() for cell, text in cell_texts(heatmap).items()}


def cohort_labels(heatmap: Figure) -> list[str]:
    """The cohorts as the heat map's rows read from top to bottom."""
    axes = heatmap.axes[0]
    assert axes.yaxis_inverted()  # row 0 at the top
    return [label.get_text() for label in axes.get_yticklabels()]


def test_weekly_and_monthly_matrices_adoption_virality_and_reengagement(
    warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run on 04-03: April is the running month, computed through 04-02 (a Wednesday), the
    last day with activity, which the period tables and churn risk take as the last computed
    day.
    Weekly cohorts (ISO weeks from Monday): week 02-24 = {u1, u2, u3} (signups 03-01, 03-01,
    03-02), week 03-03 = {u4, u5}. Week 02-24, week 0 = u1, u2, u3 active -> 100; week 1
    (03-03..03-09): u1 (03-08), u3 (03-09) -> 66.67; week 5 (03-31..04-06) is still running ->
    NULL. On or after week 1: u1 (last week 5), u3 (last week 5) -> 66.67; the week-5
    activity is not yet a mature cell but counts towards the unbounded curve of earlier weeks.
    Monthly: cohort March (5 users), month 0 = u1, u2, u3, u4 -> 80; month 1 (April) running
    -> NULL. Sizes 3 + 2 = 5 = signups.
    Feature adoption: u1 uses dashboards on 03-02 -> week 02-24: 1 of 3 active = 33.33;
    March: 1 of 4 = 25.
    Virality: u1 sends 3 invites in March, one became u3: K = 3 per inviter x 1/3 = 1.0;
    measured = 1 referred signup / 4 active users = 0.25.
    Re-engagement: campaign c1 selects u1 (targeted, 03-07; active 03-08 -> back), u2
    (targeted, 03-09; never again) and u4 (holdout, 03-09) -> targeted 50, holdout 0,
    uplift 50 points.
    Churn risk: scored as of 04-02, validated on the users scored 28 days earlier (03-05:
    u1, u2, u3, u4, all low); of those u2 and u4 are not seen 03-06..04-02 -> base rate 50 %."""
    today_is(monkeypatch, date(2025, 4, 3))
    load_raw(warehouse)
    with warehouse.get_connection() as connection:
        connection.execute(
            "insert into raw.feature_usage values (1, 1, 'dashboards', '2025-03-02 09:05:00+00')"
        )
        connection.execute(
            "insert into raw.invites values "
            "(1, 1, '2025-03-01 11:00:00+00', 3, '2025-03-02 12:00:00+00'), "
            "(2, 1, '2025-03-01 11:01:00+00', null, null), "
            "(3, 1, '2025-03-20 11:00:00+00', null, null)"
        )
        connection.execute(
            "insert into raw.campaigns values ('c1', 'Win-back', 'email', '2025-03-07 00:00:00+00')"
        )
        connection.execute(
            "insert into raw.campaign_targets values "
            "('c1', 1, 'targeted', '2025-03-07 08:00:00+00'), "
            "('c1', 2, 'targeted', '2025-03-09 08:00:00+00'), "
            "('c1', 4, 'holdout', '2025-03-09 08:00:00+00')"
        )
    materialize_range(warehouse, "2025-03-01", "2025-04-01", names=["user_activity_days"])
    heatmaps: dict[str, Figure] = {}  # the heat maps the run draws, by period column
    draw = growth.retention_heatmap

    def keep(frame: pd.DataFrame, cohort: str, period: str) -> Figure:
        heatmaps[period] = draw(frame, cohort, period)
        return heatmaps[period]

    monkeypatch.setattr(growth, "retention_heatmap", keep)
    wanted = {
        "feature_adoption_weekly",
        "feature_adoption_monthly",
        "viral_coefficient_monthly",
        "reengagement_campaigns",
    }
    result = materialize_whole(
        warehouse,
        [
            *(a for a in growth_sql_assets() if a.key.path[-1] in wanted),
            *(
                build_sql_asset(declaration_named(name))
                for name in ("cohort_retention_weekly", "cohort_retention_monthly")
            ),
            growth.build_churn_risk_asset(project()),
        ],
    )
    assert failed_checks(result) == {}
    churn = result.asset_materializations_for_node("growth__churn_risk")[0].metadata
    assert churn["scored_on"].value == "2025-04-02"
    assert churn["validated_on"].value == "2025-03-05"
    assert churn["base_churn_rate_pct"].value == 50.0
    assert churn["high_risk_users"].value == 0
    # the heat maps: every mature cell labelled (weeks 2-4 of week 02-24 and 1-3 of week 03-03
    # are 0 %; week 5 and week 4 run past 04-02: blank), at twice the old resolution
    recorded = {
        event.asset_key.path[-1]: decoded_png(metadata["retention_heatmap"].value)
        for event in result.get_asset_materialization_events()
        if "retention_heatmap" in (metadata := event.materialization.metadata)
    }
    weekly, monthly = heatmaps["week_number"], heatmaps["month_number"]
    assert cell_labels(weekly) == {
        (0, 0): "100%",
        (0, 1): "67%",
        (0, 2): "0%",
        (0, 3): "0%",
        (0, 4): "0%",
        (1, 0): "50%",
        (1, 1): "0%",
        (1, 2): "0%",
        (1, 3): "0%",
    }
    assert cohort_labels(weekly) == ["2025-02-24  n=3", "2025-03-03  n=2"]
    assert cell_labels(monthly) == {(0, 0): "80%"}
    assert cohort_labels(monthly) == ["2025-03  n=5"]
    assert twice_the_old_size(recorded["cohort_retention_weekly"], weekly)
    assert twice_the_old_size(recorded["cohort_retention_monthly"], monthly)
    weekly = {
        (row[0], row[1]): row[2:]
        for row in rows(
            warehouse,
            "select signup_week, week_number, cohort_size, retention_pct, "
            "retention_on_or_after_pct from growth.cohort_retention_weekly",
        )
    }
    assert weekly[(date(2025, 2, 24), 0)] == (3, 100.0, 100.0)
    assert weekly[(date(2025, 2, 24), 1)] == (3, 66.67, 66.67)
    assert weekly[(date(2025, 2, 24), 5)] == (3, None, None)
    assert rows(
        warehouse,
        "select month_number, cohort_size, retention_pct from growth.cohort_retention_monthly "
        "order by 1",
    ) == [(0, 5, 80.0), (1, 5, None)]
    assert rows(
        warehouse,
        "select adoption_pct from growth.feature_adoption_weekly "
        "where week_start = '2025-02-24' and feature = 'dashboards'",
    ) == [(33.33,)]
    assert rows(
        warehouse,
        "select adoption_pct from growth.feature_adoption_monthly "
        "where month_start = '2025-03-01' and feature = 'dashboards'",
    ) == [(25.0,)]
    assert rows(
        warehouse,
        "select invite_month, inviting_users, invites_sent, referred_signups, k_factor, "
        "k_measured from growth.viral_coefficient_monthly",
    ) == [(date(2025, 3, 1), 1, 3, 1, 1.0, 0.25)]
    assert rows(
        warehouse,
        "select targeted_users, targeted_reengaged_pct, holdout_users, holdout_reengaged_pct, "
        "uplift_pct_points, is_complete from growth.reengagement_campaigns",
    ) == [(2, 50.0, 1, 0.0, 50.0, True)]


def test_the_heat_map_shows_the_latest_24_cohorts_newest_at_the_bottom_with_labels() -> None:
    """30 weekly cohorts from 2025-01-06 (cohort i has 100 + i users), each with weeks 0 to
    29 - i: week 0 at 100 %, week p at 50.4 - p % (49 % in week 1 ...), its newest week NULL.
    Shown: the latest 24 cohorts (2025-02-17, cohort 6, to 2025-07-28, cohort 29) and weeks
    0-12; the newest cohort has only its NULL week 0, so a blank row."""
    first = date(2025, 1, 6)
    frame = pd.DataFrame(
        [
            {
                "signup_week": first + timedelta(weeks=cohort),
                "week_number": week,
                "cohort_size": 100 + cohort,
                "retained_users": None,
                "retained_on_or_after_users": None,
                "retention_pct": None
                if week == 29 - cohort
                else 100.0
                if week == 0
                else 50.4 - week,
            }
            for cohort in range(30)
            for week in range(30 - cohort)
        ]
    )
    heatmap = growth.retention_heatmap(frame, "signup_week", "week_number")
    rows = cohort_labels(heatmap)
    assert len(rows) == 24
    assert rows[0] == "2025-02-17  n=106" and rows[-1] == "2025-07-28  n=129"
    axes = heatmap.axes[0]
    assert [label.get_text() for label in axes.get_xticklabels()] == [str(w) for w in range(13)]
    assert "weeks since the signup week" in axes.get_xlabel()
    assert axes.get_ylabel() == "signup week cohort (n = users)"
    labels = cell_labels(heatmap)
    # cohort 6 (row 0) has weeks 0-23, all shown up to 12; cohort 28 (row 22) week 0 only
    assert [labels[0, week] for week in range(13)] == [
        "100%",
        *(f"{50 - week}%" for week in range(1, 13)),
    ]
    assert [key for key in labels if key[0] == 22] == [(22, 0)]
    assert not any(key[0] == 23 for key in labels)
    # 100 % is past the top of the scale (49.4 %, week 1): the darkest colour, white text
    texts = cell_texts(heatmap)
    assert to_rgba(texts[0, 0].get_color()) == to_rgba(texts[0, 1].get_color()) == to_rgba("white")


def test_churn_risk_scores_and_validation_by_hand(warehouse: Warehouse) -> None:
    """Activity computed for March and April (complete months: through 04-30).
    Scored as of 03-10 (active in the last 28 days: u1, u2, u3, u4).
    u2: last seen 03-02 -> 8 days: recency 8/28; no baseline before 02-25 -> no drop; no ticket,
    no NPS -> score 100 x 0.4 x 8/28 = 11.43, low. u4 as u2 but 7 days and an open ticket:
    100 x (0.4 x 7/28 + 0.15) = 25.0 -> medium (>= 25). u3: last seen 03-09 -> 1 day, and a
    detractor (NPS 3): 100 x (0.4/28 + 0.15) = 16.43, low.
    Validation as of 03-10 with a 28-day horizon: churned = not seen 03-11..04-07: u2, u4
    churned; u1 (03-31), u3 (04-02) did not. Nobody is high, so the high bucket has 0 users;
    base churn rate 2 of 4 = 50 %, medium bucket (u4) 1 of 1 churned -> lift 2.0."""
    load_raw(warehouse)
    with warehouse.get_connection() as connection:
        connection.execute(
            "insert into raw.support_tickets values ('t1', 4, '2025-03-09 08:00:00+00', "
            "'normal', 'bug', null, null, 0, null)"
        )
        connection.execute(
            "insert into raw.nps_responses values ('n1', 3, '2025-03-05 08:00:00+00', 3)"
        )
    materialize_range(warehouse, "2025-03-01", "2025-04-01", names=["user_activity_days"])
    with warehouse.get_connection(read_only=True) as connection:
        scores = growth.score_users(connection, date(2025, 3, 10), project()).set_index("user_id")
        validation = growth.validate_scores(connection, date(2025, 3, 10), 28, project())
    assert scores.loc[2, "risk_score"] == 11.43 and scores.loc[2, "risk_bucket"] == "low"
    assert scores.loc[4, "risk_score"] == 25.0 and scores.loc[4, "risk_bucket"] == "medium"
    assert scores.loc[3, "risk_score"] == 16.43 and bool(scores.loc[3, "is_detractor"])
    by_bucket = validation.set_index("risk_bucket")
    assert by_bucket.loc["high", "users"] == 0
    assert by_bucket.loc["medium", "churned"] == 1 and by_bucket.loc["medium", "lift"] == 2.0
    assert by_bucket["users"].sum() == 4 and by_bucket["churned"].sum() == 2
