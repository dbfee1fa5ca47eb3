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
"""

import random
from datetime import date, datetime
from zoneinfo import ZoneInfo

import dagster as dg
import pytest

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
DAILY = [
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


def daily_assets(*names: str) -> list[dg.AssetsDefinition]:
    signups = next(d for d in load_declarations() if d.name == "signups_by_channel_daily")
    return [
        build_sql_asset(signups),
        *(build_sql_asset(declaration_named(name)) for name in names),
    ]


def materialize_range(warehouse: Warehouse, first: str, last: str, names=DAILY):
    result = dg.materialize(
        daily_assets(*names),
        resources={"warehouse": warehouse},
        tags={
            "dagster/asset_partition_range_start": first,
            "dagster/asset_partition_range_end": last,
        },
    )
    assert result.success
    return result


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


def test_dau_wau_mau_by_hand_over_a_range_and_one_day(warehouse: Warehouse) -> None:
    """Active days (UTC; u4's 03-02 event precedes its signup): u1 03-01, 03-02, 03-08, 03-31 |
    u2 03-02 | u3 03-02, 03-09, 04-02 | u4 03-03. WAU = trailing 7 days, MAU = trailing 30 days
    (d-29..d): on 03-31 u2's 03-02 is day 30, on 04-01 it has left; u4's 03-03 leaves on 04-02."""
    load_raw(warehouse)
    materialize_range(
        warehouse, "2025-03-01", "2025-04-02", names=("user_activity_days", "active_users_rolling")
    )
    expected = {
        date(2025, 3, 1): (1, 1, 1),
        date(2025, 3, 2): (3, 3, 3),
        date(2025, 3, 3): (1, 4, 4),
        date(2025, 3, 8): (1, 4, 4),
        date(2025, 3, 9): (1, 3, 4),
        date(2025, 3, 10): (0, 2, 4),
        date(2025, 3, 31): (1, 1, 4),
        date(2025, 4, 1): (0, 1, 3),
        date(2025, 4, 2): (1, 2, 2),
    }

    def found() -> dict[date, tuple[int, int, int]]:
        table = rows(
            warehouse, "select activity_date, dau, wau, mau from growth.active_users_rolling"
        )
        return {day: tuple(counts) for day, *counts in table if day in expected}

    assert found() == expected
    # every day of the range, and the growth_late_event_days (3) before it the run re-computes
    assert rows(
        warehouse, "select count(*), min(activity_date) from growth.active_users_rolling"
    ) == [(36, date(2025, 2, 26))]
    # one day's run looks back on its own and leaves the same numbers
    materialize_range(
        warehouse, "2025-04-02", "2025-04-02", names=("user_activity_days", "active_users_rolling")
    )
    assert found() == expected


def test_dau_wau_mau_equal_a_brute_force_count_on_random_activity(warehouse: Warehouse) -> None:
    """400 random events of 40 users over 90 days: each day's counts equal the distinct users
    found by scanning that day's trailing 7 and 30 days in Python."""
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
        warehouse, "2025-01-01", "2025-03-31", names=("user_activity_days", "active_users_rolling")
    )
    active = rows(warehouse, "select activity_date, user_id from growth.user_activity_days")
    computed = rows(
        warehouse, "select activity_date, dau, wau, mau from growth.active_users_rolling"
    )
    assert len(computed) == 90 + 3  # the range and the 3 look-back days before it
    for day, dau, wau, mau in computed:

        def users_within(days: int, day=day) -> int:
            return len({user for active_day, user in active if 0 <= (day - active_day).days < days})

        assert (dau, wau, mau) == (users_within(1), users_within(7), users_within(30)), day


def test_daily_cohort_retention_by_hand_with_a_cohort_too_young_for_day_30(
    warehouse: Warehouse,
) -> None:
    """Computed through 03-10. Cohort 03-01 (2 users): day 0 = u1 -> 50; day 1 = u1, u2 -> 100;
    day 7 (03-08) = u1 -> 50; day 9 (03-10) = nobody -> 0; day 10 (03-11) is after the last
    computed day -> NULL, and so is day 30: the cohort is too young for Day 30.
    On or after: last days seen u1 7, u2 1 -> day 0: 2 (100), day 2: 1 (50), day 8: 0 (0).
    Cohort 03-02 (u3): day 7 (03-09) -> 100. Cohort 03-03 (u4): day 0 -> 100 (the 03-02 event
    before signup is not counted), day 7 (03-10) -> 0, day 8 NULL.
    Checks: rates within 0-100 and cohort sizes = signups (2+1+1+1) pass; the event before
    signup is flagged (WARN) with a count of 1."""
    load_raw(warehouse)
    result = materialize_range(warehouse, "2025-03-01", "2025-03-10")
    assert failed_checks(result) == {
        "user_activity_days.no_activity_before_signup": {
            "events_before_signup": dg.IntMetadataValue(1)
        }
    }
    cells = {
        (row[0], row[1]): row[2:]
        for row in rows(
            warehouse,
            "select signup_date, day_number, retained_users, retention_pct, "
            "retention_on_or_after_pct from growth.cohort_retention_daily",
        )
    }
    march = date(2025, 3, 1)
    assert cells[(march, 0)] == (1, 50.0, 100.0)
    assert cells[(march, 1)] == (2, 100.0, 100.0)
    assert cells[(march, 2)] == (0, 0.0, 50.0)
    assert cells[(march, 7)] == (1, 50.0, 50.0)
    assert cells[(march, 8)] == (0, 0.0, 0.0)
    assert cells[(march, 9)] == (0, 0.0, 0.0)
    assert cells[(march, 10)] == (None, None, None)
    assert cells[(march, 30)] == (None, None, None)
    assert cells[(date(2025, 3, 2), 7)][1] == 100.0
    assert cells[(date(2025, 3, 3), 0)][1] == 100.0
    assert cells[(date(2025, 3, 3), 7)][1] == 0.0
    assert cells[(date(2025, 3, 3), 8)][1] is None
    assert rows(
        warehouse,
        "select signup_date, cohort_size, d1_retention_pct, d7_retention_pct, d30_retention_pct "
        "from growth.day_n_retention order by 1",
    ) == [
        (march, 2, 100.0, 50.0, None),
        (date(2025, 3, 2), 1, 0.0, 100.0, None),
        (date(2025, 3, 3), 1, 0.0, 0.0, None),
        (date(2025, 3, 5), 1, 0.0, None, None),
    ]


def test_event_after_midnight_utc_is_day_0_in_new_york(
    warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    """u2 signs up 03-01 23:30 UTC = 18:30 New York (UTC-5) and is seen 03-02 00:10 UTC =
    03-01 19:10 New York. In UTC that is day 1 of cohort 03-01; in New York it is day 0.
    u1 (signup 05:00, events 05:05 and next day 04:00 New York) is day 0 and day 1 either way.
    So cohort 03-01 in New York: day 0 = u1, u2 -> 100; day 1 = u1 -> 50 (UTC: 50 and 100)."""
    monkeypatch.setenv("NEXUS_REPORTING_TZ", "America/New_York")
    load_raw(warehouse)
    zone = ZoneInfo("America/New_York")
    start, end = datetime(2025, 3, 1, tzinfo=zone), datetime(2025, 3, 11, tzinfo=zone)
    with warehouse.get_connection() as connection:
        for name in ("user_activity_days", "cohort_retention_daily"):
            declaration = declaration_named(name)
            write_window(connection, declaration, *rewritten_window(declaration, start, end))
    assert rows(
        warehouse,
        "select day_number, retained_users, retention_pct from growth.cohort_retention_daily "
        "where signup_date = '2025-03-01' and day_number <= 1 order by 1",
    ) == [(0, 2, 100.0), (1, 1, 50.0)]
    assert rows(
        warehouse,
        "select activity_date, day_number from growth.user_activity_days where user_id = 2",
    ) == [(date(2025, 3, 1), 0)]


def test_activation_and_funnel_by_hand(warehouse: Warehouse) -> None:
    """Activation (project_created within 7 days), computed through 04-02: cohort 03-01: u1 at
    03-02 09:00 (within [03-01 10:00, 03-08 10:00)), u2 never -> 1 of 2 = 50; 03-02: u3 on
    day 0 -> 100; 03-03: u4 never -> 0; 03-05 is mature (03-12 <= 04-02): 0.
    Funnel (30 days, strict): 03-01: 2 signups, 1 activated, 1 paying (u1 paid from 03-05) ->
    50 / 50, step 100. 03-03: u4 pays but never activated -> 0 paying; step paying = 0/0 = NULL.
    03-05: its window closes 04-04, after 04-02 -> NULL stages.
    Computed only through 03-10, cohort 03-05 is younger than 7 days: activation NULL."""
    load_raw(warehouse)
    materialize_range(warehouse, "2025-03-01", "2025-03-10", names=DAILY[:1] + DAILY[4:5])
    assert rows(
        warehouse,
        "select activation_rate_pct from growth.activation_by_cohort "
        "where signup_date = '2025-03-05'",
    ) == [(None,)]
    materialize_range(warehouse, "2025-03-01", "2025-04-02", names=DAILY[:1] + DAILY[4:])
    assert rows(
        warehouse,
        "select signup_date, cohort_size, activated_users, activation_rate_pct "
        "from growth.activation_by_cohort order by 1",
    ) == [
        (date(2025, 3, 1), 2, 1, 50.0),
        (date(2025, 3, 2), 1, 1, 100.0),
        (date(2025, 3, 3), 1, 0, 0.0),
        (date(2025, 3, 5), 1, 0, 0.0),
    ]
    assert rows(
        warehouse,
        "select signup_date, signups, activated_users, paying_users, activated_pct, paying_pct, "
        "paying_step_pct from growth.funnel_by_cohort order by 1",
    ) == [
        (date(2025, 3, 1), 2, 1, 1, 50.0, 50.0, 100.0),
        (date(2025, 3, 2), 1, 1, 0, 100.0, 0.0, 0.0),
        (date(2025, 3, 3), 1, 0, 0, 0.0, 0.0, None),
        (date(2025, 3, 5), 1, None, None, None, None, None),
    ]


def test_monthly_growth_scorecard_and_a_month_after_zero_users(warehouse: Warehouse) -> None:
    """Computed through 04-02. February has no active users, so March's MoM is NULL, not
    infinity. March MAU = u1, u2, u3, u4 = 4. April is running: month to date (04-01..04-02)
    = u3 -> 1, against the same days of March (03-01..03-02) = u1, u2, u3 -> 3:
    MoM = (1 - 3) / 3 x 100 = -66.67. Scorecard as of 04-02 gives the same; as of 03-31 (a
    complete month against an empty February) it has no value.
    D30 as of 04-02: cohorts whose day 30 fell in the last 28 days: 03-01 (day 30 = 03-31: u1 of
    2), 03-02 (04-01: 0 of 1), 03-03 (04-02: 0 of 1) -> 1 / 4 = 25.
    D7 as of 03-10: 03-01 (u1 of 2), 03-02 (u3 of 1), 03-03 (0 of 1) -> 2 / 4 = 50.
    Activation as of 03-10: 03-01 1/2, 03-02 1/1, 03-03 0/1 (03-05 not mature) -> 2 / 4 = 50."""
    load_raw(warehouse)
    materialize_range(warehouse, "2025-03-01", "2025-04-02")
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
    """Reach of a daily run for day D: user_activity_days rewrites D-3..D (late_event_days 3);
    cohort_retention_daily rewrites the cohorts D-33..D (30 tracked days + 3), the only
    cohorts with a cell on a day that late events may still change.
    After a backfill through 04-05, two events arrive late: u3 on 04-03 (2 days late) and u2 on
    03-08 (28 days late). The run for 04-05 rewrites activity days 04-02..04-05 and cohorts
    03-03..04-05. u3's event lands: the activity day appears (day 32, past the tracked 30, so
    no cohort cell moves). u2's 03-08 event is older than the reach: not picked up, and cohort
    03-01 (older than 33 days) keeps day 7 = 50 (1 of 2). Re-running the 03-08 partition
    brings it in: cohort 03-01 day 7 becomes 100 (u1, u2)."""
    load_raw(warehouse)
    names = ("user_activity_days", "cohort_retention_daily")
    materialize_range(warehouse, "2025-03-01", "2025-04-05", names=names)
    with warehouse.get_connection() as connection:
        connection.execute(
            "insert into raw.events values "
            "(11, 3, '2025-04-03 08:00:00+00', 'session_start', 'core'), "
            "(12, 2, '2025-03-08 12:00:00+00', 'session_start', 'core')"
        )
    result = materialize_range(warehouse, "2025-04-05", "2025-04-05", names=names)
    windows = {
        event.asset_key.path[-1]: event.materialization.metadata["run_window"].value
        for event in result.get_asset_materialization_events()
    }
    assert windows["user_activity_days"] == "[2025-04-02, 2025-04-06)"
    assert windows["cohort_retention_daily"] == "[2025-03-03, 2025-04-06)"
    day_7 = "select retention_pct from growth.cohort_retention_daily " + (
        "where signup_date = '2025-03-01' and day_number = 7"
    )
    assert rows(warehouse, "select count(*) from growth.user_activity_days where user_id = 3") == [
        (4,)
    ]
    assert rows(warehouse, day_7) == [(50.0,)]
    materialize_range(warehouse, "2025-03-08", "2025-03-08", names=names)
    assert rows(warehouse, day_7) == [(100.0,)]


def test_backfill_over_a_range_equals_materialising_each_day(tmp_path) -> None:
    """Every daily growth asset, backfilled in one run over 03-01..03-12, leaves the same
    tables as one run per day in calendar order (as the daily schedule runs them), and running
    a day twice changes nothing."""
    backfilled = Warehouse(database=str(tmp_path / "backfill.duckdb"))
    day_by_day = Warehouse(database=str(tmp_path / "daily.duckdb"))
    for target in (backfilled, day_by_day):
        load_raw(target)
    materialize_range(backfilled, "2025-03-01", "2025-03-12")
    days = [f"2025-03-{day:02d}" for day in range(1, 13)]
    for day in days:
        materialize_range(day_by_day, day, day)
    materialize_range(day_by_day, random.Random(3).choice(days), "2025-03-12")
    for name in DAILY:
        sql = f"select * from growth.{name} order by all"
        expected = rows(backfilled, sql)
        assert expected, name
        assert rows(day_by_day, sql) == expected, name


def test_weekly_and_monthly_matrices_adoption_virality_and_reengagement(
    warehouse: Warehouse,
) -> None:
    """Computed through 04-02 (a Wednesday).
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
    materialize_range(warehouse, "2025-03-01", "2025-04-02", names=DAILY[:1])
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
    pictures = [
        event.materialization.metadata["retention_heatmap"].value
        for event in result.get_asset_materialization_events()
        if "retention_heatmap" in event.materialization.metadata
    ]
    assert len(pictures) == 2 and all("data:image/png;base64," in p for p in pictures)
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


def test_churn_risk_scores_and_validation_by_hand(warehouse: Warehouse) -> None:
    """Scored as of 03-10 (active in the last 28 days: u1, u2, u3, u4).
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
    materialize_range(warehouse, "2025-03-01", "2025-04-07", names=DAILY[:1])
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
