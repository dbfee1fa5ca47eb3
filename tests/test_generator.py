"""The synthetic company honours the raw contract and carries the dynamics the metrics rely on."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from nexus_pipelines.contract import Table, load_contract
from nexus_pipelines.generator import EXPERIMENTS, generate_company

# A start that is not the first of a month, so partial months are exercised.
START = date(2024, 2, 10)
DAYS = 100
USERS = 800
SEED = 11
END = START + timedelta(days=DAYS)

ARROW_TYPES = {
    "BIGINT": "int64",
    "INTEGER": "int32",
    "DOUBLE": "double",
    "BOOLEAN": "bool",
    "VARCHAR": "string",
    "DATE": "date32[day]",
    "TIMESTAMPTZ": "timestamp[us, tz=UTC]",
    "MONEY": "decimal128(18, 2)",
}


def _generate(path: Path, seed: int = SEED, fmt: str = "parquet", users: int = USERS) -> dict:
    return generate_company(path, users=users, days=DAYS, start=START, seed=seed, fmt=fmt)


def _hashes(root: Path) -> dict[str, str]:
    return {
        str(file.relative_to(root)): hashlib.sha256(file.read_bytes()).hexdigest()
        for file in sorted(root.rglob("*"))
        if file.is_file()
    }


@pytest.fixture(scope="module")
def company(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    root = tmp_path_factory.mktemp("company")
    return root, _generate(root)


@pytest.fixture(scope="module")
def db(company: tuple[Path, dict[str, int]]) -> duckdb.DuckDBPyConnection:
    root, _ = company
    connection = duckdb.connect()
    connection.execute("set TimeZone = 'UTC'")
    for name in load_contract():
        connection.execute(
            f"create view {name} as select * from read_parquet('{root / name}/*.parquet')"
        )
    return connection


def _scalar(db: duckdb.DuckDBPyConnection, sql: str) -> float:
    return db.execute(sql).fetchone()[0]


def test_same_seed_gives_identical_bytes(company, tmp_path):
    root, _ = company
    _generate(tmp_path)
    assert _hashes(tmp_path) == _hashes(root)


def test_different_seed_gives_different_data(company, tmp_path):
    root, _ = company
    _generate(tmp_path, seed=SEED + 1)
    ours, theirs = _hashes(root), _hashes(tmp_path)
    assert ours.keys() == theirs.keys()
    assert ours["users/part-00000.parquet"] != theirs["users/part-00000.parquet"]
    assert ours["events/part-00000.parquet"] != theirs["events/part-00000.parquet"]


def test_every_table_has_rows_with_exactly_the_contract_columns(company):
    root, rows = company
    contract = load_contract()
    assert list(rows) == list(contract)
    for name, table in contract.items():
        files = sorted((root / name).glob("part-*.parquet"))
        assert files, name
        schema = pq.read_schema(files[0])
        assert schema.names == table.column_names, name
        assert [str(t) for t in schema.types] == [ARROW_TYPES[c.type] for c in table.columns]
        written = sum(pq.read_metadata(f).num_rows for f in files)
        assert written == rows[name] > 0, name


def _violations(table: Table, start: date = START, end: date = END) -> dict[str, str]:
    """SQL counting the rows that break each column rule of the contract, by rule name."""
    checks = {}
    for c in table.columns:
        if not c.nullable:
            checks[f"{c.name} null"] = f"{c.name} is null"
        if c.minimum is not None:
            checks[f"{c.name} min"] = f"{c.name} < {c.minimum}"
        if c.maximum is not None:
            checks[f"{c.name} max"] = f"{c.name} > {c.maximum}"
        if c.allowed:
            values = ", ".join(f"'{v}'" for v in c.allowed)
            checks[f"{c.name} allowed"] = f"{c.name} not in ({values})"
        if c.type in ("DATE", "TIMESTAMPTZ"):
            lower = f"timestamptz '{start} 00:00:00+00'"
            upper = f"timestamptz '{end} 00:00:00+00'"
            value = f"{c.name}::timestamptz" if c.type == "DATE" else c.name
            rule = f"{value} < {lower}"
            if not c.future_ok:
                rule += f" or {value} >= {upper}"
            checks[f"{c.name} range"] = rule
    return checks


def test_values_respect_the_contract(db):
    broken = {}
    for name, table in load_contract().items():
        checks = _violations(table)
        sums = ", ".join(f"count(*) filter (where {sql})" for sql in checks.values())
        counts = db.execute(f"select {sums} from {name}").fetchone()
        broken.update({f"{name}.{rule}": n for rule, n in zip(checks, counts, strict=True) if n})
        key = ", ".join(table.key)
        duplicates = _scalar(
            db, f"select count(*) from (select {key} from {name} group by all having count(*) > 1)"
        )
        if duplicates:
            broken[f"{name} key"] = duplicates
    assert broken == {}


def test_no_event_precedes_its_users_signup(db):
    early = _scalar(
        db,
        "select count(*) from events e join users u using (user_id) where occurred_at < signup_at",
    )
    orphans = _scalar(db, "select count(*) from events anti join users using (user_id)")
    assert (early, orphans) == (0, 0)
    assert _scalar(db, "select count(distinct event_name) from events") >= 5


def test_some_activity_falls_just_after_midnight(db):
    share = _scalar(db, "select avg((hour(occurred_at) = 0)::int) from events")
    assert 0.005 < share < 0.1


def test_subscription_periods_of_a_customer_never_overlap(db):
    overlaps = _scalar(
        db,
        """
        select count(*) from (
            select started_at, lag(ended_at) over w as previous_end,
                   lag(started_at) over w as previous_start
            from subscription_periods window w as (partition by customer_id order by started_at)
        ) where previous_start is not null
            and (previous_end is null or previous_end > started_at)
        """,
    )
    assert overlaps == 0
    statuses = {
        r[0] for r in db.execute("select distinct status from subscription_periods").fetchall()
    }
    assert {"trialing", "active", "past_due", "canceled"} <= statuses


def test_activated_users_retain_better(db):
    rates = dict(
        db.execute(
            """
            with activated as (
                select u.user_id, u.signup_at::date as signup_day,
                       exists (select 1 from events e where e.user_id = u.user_id
                               and e.event_name = 'project_created'
                               and e.occurred_at < u.signup_at + interval 7 day) as activated
                from users u
            ), day7 as (select distinct user_id, occurred_at::date as day from events)
            select a.activated, avg((d.user_id is not null)::int)
            from activated a left join day7 d on d.user_id = a.user_id and d.day = a.signup_day + 7
            where a.signup_day + 8 < ?
            group by all
            """,
            [END],
        ).fetchall()
    )
    assert rates[True] > 2 * rates[False]
    assert rates[True] > 0.3


def test_only_the_srm_experiment_strays_from_its_planned_split(db):
    for experiment in EXPERIMENTS:
        shares = dict(
            db.execute(
                """select variant, count(*) / sum(count(*)) over () from experiment_assignments
                   where experiment_id = ? group by variant""",
                [experiment.experiment_id],
            ).fetchall()
        )
        planned = dict(zip(experiment.variants, experiment.planned, strict=True))
        gap = max(abs(shares[v] - planned[v]) for v in experiment.variants)
        if experiment.assigned == experiment.planned:
            assert gap < 0.01, experiment.experiment_id
        else:
            assert gap > 0.015, experiment.experiment_id
    assert (
        _scalar(
            db,
            """select max(abs(s - 1)) from (select sum(planned_share) as s from experiment_variants
           group by experiment_id)""",
        )
        < 1e-9
    )


def test_marketing_costs_equal_marketing_spend_per_month(db):
    rows = db.execute(
        """
        with spend as (select date_trunc('month', spend_date)::date as month, sum(amount) as spent
                       from marketing_spend group by 1),
             cost as (select month, sum(amount) as booked from costs
                      where category = 'marketing' group by 1)
        select cost.month, booked, spent from cost left join spend using (month)
        """
    ).fetchall()
    assert rows
    assert all(booked == spent for _, booked, spent in rows)
    assert _scalar(db, "select count(*) from marketing_spend where channel is null") > 0


def test_referral_signups_have_accepted_invites(db):
    referred = _scalar(db, "select count(*) from users where acquisition_channel = 'referral'")
    matched = _scalar(
        db,
        """select count(*) from users u join invites i
           on i.accepted_user_id = u.user_id and i.inviter_user_id = u.referrer_user_id
           and i.accepted_at = u.signup_at and i.sent_at <= i.accepted_at""",
    )
    unaccepted = _scalar(db, "select avg((accepted_user_id is null)::int) from invites")
    assert referred == matched > 0
    assert unaccepted > 0.5


def test_campaign_targets_come_back_more_than_the_holdout(db):
    rates = dict(
        db.execute(
            """select target_group, avg(exists (select 1 from events e where e.user_id = t.user_id
                   and e.occurred_at > t.selected_at
                   and e.occurred_at < t.selected_at + interval 14 day)::int)
               from campaign_targets t group by all"""
        ).fetchall()
    )
    assert rates["targeted"] > rates["holdout"] + 0.1


def test_outages_fail_probes_and_bring_tickets(db):
    failed = dict(
        db.execute(
            """select i.severity, avg((not h.ok)::int) from incidents i join health_checks h
               on h.service_id = i.service_id
               and h.checked_at between i.detected_at and i.resolved_at
               where i.severity in ('P0', 'P1') group by all"""
        ).fetchall()
    )
    failed_otherwise = _scalar(
        db, "select avg((not ok)::int) from health_checks where not planned_maintenance"
    )
    assert failed["P0"] > 0.9
    assert 0.2 < failed["P1"] < 0.8
    assert failed_otherwise < 0.005
    after_outage = _scalar(
        db,
        """select count(*) from support_tickets t join incidents i
           on t.created_at between i.detected_at and i.detected_at + interval 3 hour
           where t.category = 'outage' and i.severity in ('P0', 'P1')""",
    )
    assert after_outage >= 4


def test_csv_output_loads_with_the_contract_types(tmp_path):
    users = 300
    rows = _generate(tmp_path / "csv", fmt="csv", users=users)
    _generate(tmp_path / "parquet", users=users)
    connection = duckdb.connect()
    connection.execute("set TimeZone = 'UTC'")
    for name, table in load_contract().items():
        types = ", ".join(f"'{c.name}': '{c.duckdb_type}'" for c in table.columns)
        csv = f"read_csv('{tmp_path / 'csv' / name}/*.csv', header = true, columns = {{{types}}})"
        parquet = f"read_parquet('{tmp_path / 'parquet' / name}/*.parquet')"
        assert connection.execute(f"select count(*) from {csv}").fetchone()[0] == rows[name]
        different = connection.execute(
            f"select count(*) from (select * from {csv} except all select * from {parquet})"
        ).fetchone()[0]
        assert different == 0, name
