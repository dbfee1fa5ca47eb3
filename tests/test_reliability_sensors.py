"""The continuous cadence's sensors, ticked against a real Dagster instance.

Every sensor here reads only the landing folder and the incident feed: each test ends by checking
that the warehouse file was never created by a sensor tick.
"""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import pytest

from nexus_pipelines.alerts import AlertResource
from nexus_pipelines.definitions import defs
from nexus_pipelines.domains.reliability import FEED_OP, INCIDENT_KEYS
from nexus_pipelines.incident_feed import feed_dir, read_feed, write_feed_file
from nexus_pipelines.ingest import ensure_ingest_tables
from nexus_pipelines.playbook import PLAYBOOK_DIR
from nexus_pipelines.project import project
from nexus_pipelines.settings import Settings, load_yaml
from nexus_pipelines.warehouse import Warehouse

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture(autouse=True)
def sensor_env(project_env: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    global NOW  # each test's clock starts when it does, so targets measured from now hold
    NOW = datetime.now(UTC).replace(microsecond=0)
    monkeypatch.setenv("NEXUS_LANDING_SETTLE_SECONDS", "0")
    monkeypatch.setenv("NEXUS_ALERTS_PATH", str(tmp_path / "alerts.sqlite"))
    monkeypatch.delenv("NEXUS_INCIDENT_FEED_DIR", raising=False)
    monkeypatch.delenv("NEXUS_ALERT_WEBHOOK_URL", raising=False)


def tick(name: str, instance: dg.DagsterInstance, cursor: str | None):
    sensor = defs.get_repository_def().get_sensor_def(name)
    context = dg.build_sensor_context(
        instance=instance,
        cursor=cursor,
        repository_def=defs.get_repository_def(),
        resources={"alerts": AlertResource()},
    )
    result = sensor.evaluate_tick(context)
    return result.run_requests or [], result.cursor


def alerts() -> list:
    return AlertResource().alerts()


def at(minutes_ago: float) -> str:
    return (NOW - timedelta(minutes=minutes_ago)).isoformat()


def write_csv(path: Path, header: str, rows: list[tuple]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)

    def text(value: object) -> str:
        return (
            "" if value is None else str(value).lower() if isinstance(value, bool) else str(value)
        )

    lines = [header] + [",".join(text(value) for value in row) for row in rows]
    path.write_text("\n".join(lines) + "\n")


PROBE_HEADER = "service_id,checked_at,ok,latency_ms,planned_maintenance"
TICKET_HEADER = (
    "ticket_id,user_id,created_at,priority,category,first_agent_response_at,resolved_at,"
    "reopened_count,satisfaction_score"
)


def test_p0_feed_file_requests_one_run_and_pages_once(
    project_env: Settings, warehouse: Warehouse
) -> None:
    write_feed_file(
        feed_dir(),
        "oncall-export-1",
        [
            {
                "incident_id": "inc_live_1",
                "event_type": "opened",
                "occurred_at": at(3),
                "severity": "P0",
                "service_id": "api",
                "title": "api returns 503",
            }
        ],
    )
    with dg.instance_for_test() as instance:
        requests, cursor = tick("incident_feed_sensor", instance, None)
        assert len(requests) == 1
        assert requests[0].run_key.startswith("incident-feed-")
        assert requests[0].asset_selection == INCIDENT_KEYS
        assert [(a.dedupe_key, a.severity) for a in alerts()] == [
            ("incident:inc_live_1:P0", "page")
        ]
        assert project_env.duckdb_path.exists() is False

        again, cursor = tick("incident_feed_sensor", instance, cursor)
        assert again == []
        assert len(alerts()) == 1

        # The requested run loads the event; the incident appears open and within its target.
        with warehouse.get_connection() as connection:
            ensure_ingest_tables(connection)
        result = defs.resolve_implicit_global_asset_job_def().execute_in_process(
            instance=instance,
            asset_selection=requests[0].asset_selection,
            run_config=requests[0].run_config,
        )
        assert result.success
    assert requests[0].run_config["ops"][FEED_OP]["config"]["files"]
    with warehouse.get_connection(read_only=True) as connection:
        assert connection.execute(
            "select incident_id, severity, source, target_status from reliability.open_incidents"
        ).fetchall() == [("inc_live_1", "P0", "feed", "awaiting acknowledgement, within target")]


def test_consecutive_failed_probes_open_one_incident_and_recovery_resolves_it(
    project_env: Settings,
) -> None:
    """threshold 3. api (customer-facing): ok, then 4 failures -> opened once, as P0, at the first
    failure (25 min ago); a later file: one more failure, then ok -> resolved once.
    web already has an open incident in the feed: its 3 failures open nothing. A health_checks
    file with the wrong columns is skipped (the ingestion rejects it), not fatal."""
    assert project().metric_settings["reliability_detection_failed_probes"] == 3
    landing = project_env.landing_dir
    write_csv(landing / "services.csv", "service_id,product_id,customer_facing", [
        ("api", None, True), ("web", None, True)
    ])  # fmt: skip
    write_feed_file(
        feed_dir(),
        "manual",
        [{"incident_id": "inc_web", "event_type": "opened", "occurred_at": at(40),
          "severity": "P1", "service_id": "web"}],
    )  # fmt: skip
    write_csv(landing / "health_checks" / "0-bad.csv", "service,when", [("api", at(1))])
    write_csv(landing / "health_checks" / "a.csv", PROBE_HEADER, [
        ("api", at(30), True, 100, False),
        ("api", at(25), False, None, False),
        ("api", at(20), False, None, False),
        ("api", at(15), False, None, False),
        ("api", at(10), False, None, False),
        ("web", at(20), False, None, False),
        ("web", at(15), False, None, False),
        ("web", at(10), False, None, False),
    ])  # fmt: skip
    with dg.instance_for_test() as instance:
        _, cursor = tick("incident_detection_sensor", instance, None)
        _, cursor = tick("incident_detection_sensor", instance, cursor)
        opened = [e for e in read_feed(feed_dir()) if e.incident_id.startswith("det_")]
        assert [(e.event_type, e.severity, e.service_id) for e in opened] == [
            ("opened", "P0", "api")
        ]
        assert opened[0].occurred_at.isoformat() == at(25)

        write_csv(landing / "health_checks" / "b.csv", PROBE_HEADER, [
            ("api", at(5), False, None, False),
            ("api", at(0), True, 120, False),
        ])  # fmt: skip
        _, cursor = tick("incident_detection_sensor", instance, cursor)
        _, cursor = tick("incident_detection_sensor", instance, cursor)
        detected = sorted(
            (e for e in read_feed(feed_dir()) if e.incident_id.startswith("det_")),
            key=lambda e: e.occurred_at,
        )
        assert [e.event_type for e in detected] == ["opened", "resolved"]
        assert detected[1].occurred_at.isoformat() == at(0)

        # The feed sensor turns the detection into one page and one run.
        requests, _ = tick("incident_feed_sensor", instance, None)
        assert len(requests) == 1
        assert [a.dedupe_key for a in alerts() if a.severity == "page"] == [
            f"incident:{opened[0].incident_id}:P0",
            "incident:inc_web:P1",
        ]
    assert not project_env.duckdb_path.exists()


def test_response_watch_escalates_each_overdue_item_once(project_env: Settings) -> None:
    """P1 unacknowledged for 2 h (target 1 h): escalate. P0 5 min old (target 15): not yet.
    P2 acknowledged: no. P3 unacknowledged for a day (target: next sprint): no.
    Tickets: t1 5 h without a reply: escalate; t2 1 h: not yet; t3 answered; t4 30 days old,
    outside the 7-day watch window."""
    write_feed_file(
        feed_dir(),
        "export",
        [
            {"incident_id": "p1", "event_type": "opened", "occurred_at": at(120),
             "severity": "P1", "service_id": "api"},
            {"incident_id": "p0", "event_type": "opened", "occurred_at": at(5),
             "severity": "P0", "service_id": "web"},
            {"incident_id": "p2", "event_type": "opened", "occurred_at": at(300),
             "severity": "P2", "service_id": "api"},
            {"incident_id": "p2", "event_type": "acknowledged", "occurred_at": at(290)},
            {"incident_id": "p3", "event_type": "opened", "occurred_at": at(1440),
             "severity": "P3", "service_id": "web"},
        ],
    )  # fmt: skip
    write_csv(project_env.landing_dir / "support_tickets.csv", TICKET_HEADER, [
        ("t1", 1, at(300), "normal", "bug", None, None, 0, None),
        ("t2", 1, at(60), "normal", "bug", None, None, 0, None),
        ("t3", 1, at(300), "normal", "bug", at(240), None, 0, None),
        ("t4", 1, at(30 * 1440), "normal", "bug", None, None, 0, None),
    ])  # fmt: skip
    with dg.instance_for_test() as instance:
        _, cursor = tick("response_watch_sensor", instance, None)
        _, cursor = tick("response_watch_sensor", instance, cursor)
    escalations = alerts()
    assert sorted((a.dedupe_key, a.severity) for a in escalations) == [
        ("ack-overdue:p1", "escalation"),
        ("ticket-no-response:t1", "escalation"),
    ]
    assert all(a.delivery == "recorded (no webhook configured)" for a in escalations)
    assert not project_env.duckdb_path.exists()


def test_burn_rate_pages_once_per_episode(project_env: Settings) -> None:
    """api probes every 5 min for the last hour, the last two failed: 1 h burn = (2/12) / 0.001
    = 167 and 5 min burn (the last probe) = 1 / 0.001 = 1000, both > 14.4: a page. A further
    failure continues the same episode: no second page. batch is not customer-facing."""
    landing = project_env.landing_dir
    write_csv(landing / "services.csv", "service_id,product_id,customer_facing", [
        ("api", None, True), ("batch", None, False)
    ])  # fmt: skip
    probes = [("api", at(5 * k + 1), k > 1, None, False) for k in range(11, -1, -1)]
    probes += [("batch", at(1), False, None, False)]
    write_csv(landing / "health_checks" / "1.csv", PROBE_HEADER, probes)
    with dg.instance_for_test() as instance:
        _, cursor = tick("burn_rate_sensor", instance, None)
        assert [a.dedupe_key.split(":")[:2] for a in alerts()] == [["burn-rate", "api"]]
        write_csv(landing / "health_checks" / "2.csv", PROBE_HEADER, [
            ("api", at(0), False, None, False)
        ])  # fmt: skip
        _, cursor = tick("burn_rate_sensor", instance, cursor)
        assert len(alerts()) == 1
        assert json.loads(cursor)["firing"].keys() == {"api"}
    assert not project_env.duckdb_path.exists()


def test_a_failed_run_raises_one_alert(project_env: Settings) -> None:
    @dg.asset
    def broken() -> None:
        raise RuntimeError("boom")

    sensor = defs.get_repository_def().get_sensor_def("run_failure_alert_sensor")
    with dg.instance_for_test() as instance:
        result = dg.materialize([broken], instance=instance, raise_on_error=False)
        assert not result.success
        run = instance.get_run_by_id(result.run_id)
        (failure,) = instance.get_records_for_run(
            result.run_id, of_type=dg.DagsterEventType.RUN_FAILURE
        ).records
        for _ in range(2):  # the same failure seen twice still pages once
            context = dg.build_run_status_sensor_context(
                sensor_name=sensor.name,
                dagster_event=failure.event_log_entry.dagster_event,
                dagster_instance=instance,
                dagster_run=run,
                resources={"alerts": AlertResource()},
            )
            sensor(context)
    (alert,) = alerts()
    assert alert.dedupe_key == f"run-failure:{result.run_id}"
    assert alert.occurrences == 2 and "failed" in alert.message


def test_every_sensor_runs_by_default_and_targets_are_known() -> None:
    sensors = {s.name: s for s in defs.get_repository_def().sensor_defs}
    mine = {
        "incident_feed_sensor",
        "incident_detection_sensor",
        "response_watch_sensor",
        "burn_rate_sensor",
        "run_failure_alert_sensor",
    }
    assert mine <= sensors.keys()
    assert all(sensors[name].default_status == dg.DefaultSensorStatus.RUNNING for name in mine)


def test_response_targets_agree_with_the_playbook() -> None:
    targets = {
        item["id"]: item["response_minutes"]
        for item in load_yaml(PLAYBOOK_DIR / "severities.yaml")["severities"]
    }
    settings = project().metric_settings
    for severity in ("P0", "P1", "P2"):
        assert settings[f"reliability_response_minutes_{severity.lower()}"] == targets[severity]
    assert (
        settings["reliability_sprint_days"]
        == load_yaml(PLAYBOOK_DIR / "severities.yaml")["sprint_days"]
    )


def test_a_p2_file_is_loaded_without_a_page_and_a_broken_file_warns(project_env: Settings) -> None:
    """P2 opened: one run of the feed asset alone, no page. A line that is not JSON: the file is
    not requested, and one warning names it."""
    write_feed_file(
        feed_dir(),
        "minor",
        [{"incident_id": "p2", "event_type": "opened", "occurred_at": at(1), "severity": "P2"}],
    )
    (feed_dir() / "broken.jsonl").write_text("{not json\n")
    with dg.instance_for_test() as instance:
        (request,), _ = tick("incident_feed_sensor", instance, None)
    assert request.asset_selection == [INCIDENT_KEYS[0]]
    assert request.run_config["ops"][FEED_OP]["config"]["files"] == [
        str(feed_dir() / "minor.jsonl")
    ]
    ((key, severity, message),) = [(a.dedupe_key, a.severity, a.message) for a in alerts()]
    assert key.startswith("feed-invalid:") and severity == "warning" and "broken.jsonl" in message
