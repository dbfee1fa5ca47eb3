"""The continuous cadence's sensors, ticked against a real Dagster instance.

Every sensor here reads only the landing folder and the incident feed: each test ends by checking
that the warehouse file was never created by a sensor tick.
"""

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import pytest

from nexus_pipelines.alerts import Alert, AlertResource, stamp
from nexus_pipelines.alerts_asset import ALERTS_KEY, TRIGGER_TAGS
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


@dataclass
class Tick:
    """What the UI shows of a tick: runs requested, the skip text, the tick's captured log."""

    run_requests: list[dg.RunRequest]
    cursor: str | None
    skip: str | None
    logs: list[str]


def tick(name: str, instance: dg.DagsterInstance, cursor: str | None) -> Tick:
    repository = defs.get_repository_def()
    sensor = repository.get_sensor_def(name)
    with dg.build_sensor_context(
        # a reference to the instance, and names, capture the tick's log as the daemon does
        instance_ref=instance.get_ref(),
        cursor=cursor,
        repository_def=repository,
        repository_name=repository.name,
        sensor_name=name,
        resources={"alerts": AlertResource()},
    ) as context:
        before = len(tick_log(instance, context.log_key))
        result = sensor.evaluate_tick(context)
    logs = tick_log(instance, context.log_key)[before:] if result.log_key else []
    return Tick(list(result.run_requests or []), result.cursor, result.skip_message, logs)


def tick_log(instance: dg.DagsterInstance, log_key: list[str]) -> list[str]:
    """The messages of a tick's log as the UI reads them (the compute log manager's JSON lines)."""
    stderr = instance.compute_log_manager.get_log_data(log_key).stderr or b""
    lines = [json.loads(line) for line in stderr.decode().splitlines() if line]
    return [line["dagster_meta"]["orig_message"] for line in lines]


def alerts(kind: str | None = None) -> list[Alert]:
    return AlertResource().alerts(kind=kind)


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


def facts(alert: Alert) -> tuple:
    """What an analyst filters an alert by."""
    return (
        alert.dedupe_key, alert.kind, alert.severity, alert.state, alert.incident_id,
        alert.ticket_id, alert.service_id, alert.run_id,
    )  # fmt: skip


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
        first = tick("incident_feed_sensor", instance, None)
        (request,) = first.run_requests
        assert request.run_key.startswith("incident-feed-")
        assert request.asset_selection == INCIDENT_KEYS
        assert [facts(a) for a in alerts()] == [
            ("incident:inc_live_1:P0", "incident", "P0", "open", "inc_live_1", None, "api", None)
        ]
        assert [line for line in first.logs if "Alert raised" in line] == [
            "Alert raised: incident:inc_live_1:P0 (P0, incident inc_live_1 on api): "
            f"P0 incident inc_live_1 on api: api returns 503 (at {at(3)})"
        ]
        assert request.tags["nexus/alerts"] == (
            "1 incident feed alerts raised: incident inc_live_1 on api (P0)."
        )
        assert project_env.duckdb_path.exists() is False

        again = tick("incident_feed_sensor", instance, first.cursor)
        assert again.run_requests == []
        assert again.skip == "No new incident feed files; 0 incident feed alerts raised."
        assert len(alerts()) == 1

        # The requested run loads the event; the incident appears open and within its target.
        with warehouse.get_connection() as connection:
            ensure_ingest_tables(connection)
        result = defs.resolve_implicit_global_asset_job_def().execute_in_process(
            instance=instance,
            asset_selection=request.asset_selection,
            run_config=request.run_config,
        )
        assert result.success

        # The feed resolves it: the page is resolved at the feed's time, and says so.
        write_feed_file(
            feed_dir(),
            "oncall-export-2",
            [{"incident_id": "inc_live_1", "event_type": "resolved", "occurred_at": at(1)}],
        )
        resolved = tick("incident_feed_sensor", instance, again.cursor)
        assert len(resolved.run_requests) == 1
        assert resolved.run_requests[0].tags["nexus/alerts"] == (
            "0 incident feed alerts raised; 1 resolved: incident inc_live_1 on api."
        )
        assert any(
            f"Alert resolved: incident:inc_live_1:P0 (P0, incident inc_live_1 on api): "
            f"incident resolved at {at(1)}" in line
            for line in resolved.logs
        )
    (alert,) = alerts()
    assert (alert.state, alert.resolved_at) == ("resolved", stamp(datetime.fromisoformat(at(1))))
    assert request.run_config["ops"][FEED_OP]["config"]["files"]
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
        cursor = tick("incident_detection_sensor", instance, None).cursor
        cursor = tick("incident_detection_sensor", instance, cursor).cursor
        opened = [e for e in read_feed(feed_dir()) if e.incident_id.startswith("det_")]
        assert [(e.event_type, e.severity, e.service_id) for e in opened] == [
            ("opened", "P0", "api")
        ]
        assert opened[0].occurred_at.isoformat() == at(25)

        write_csv(landing / "health_checks" / "b.csv", PROBE_HEADER, [
            ("api", at(5), False, None, False),
            ("api", at(0), True, 120, False),
        ])  # fmt: skip
        cursor = tick("incident_detection_sensor", instance, cursor).cursor
        cursor = tick("incident_detection_sensor", instance, cursor).cursor
        detected = sorted(
            (e for e in read_feed(feed_dir()) if e.incident_id.startswith("det_")),
            key=lambda e: e.occurred_at,
        )
        assert [e.event_type for e in detected] == ["opened", "resolved"]
        assert detected[1].occurred_at.isoformat() == at(0)

        # The feed sensor turns the detection into one page and one run; it sees the incident
        # already resolved, so that page is resolved at once. inc_web's page stays open.
        assert len(tick("incident_feed_sensor", instance, None).run_requests) == 1
    det = opened[0].incident_id
    assert [facts(a)[:7] for a in alerts(kind="incident")] == [
        (f"incident:{det}:P0", "incident", "P0", "resolved", det, None, "api"),
        ("incident:inc_web:P1", "incident", "P1", "open", "inc_web", None, "web"),
    ]
    assert not project_env.duckdb_path.exists()


def test_response_watch_escalates_each_overdue_item_once_and_resolves_it(
    project_env: Settings,
) -> None:
    """P1 unacknowledged for 2 h (target 1 h): escalate, P1. P0 5 min old (target 15): not yet.
    P2 acknowledged: no. P3 unacknowledged for a day (target: next sprint): no.
    Tickets: t1 (urgent) 5 h without a reply: escalate, P1; t5 (high) 4.5 h: P2; t2 1 h: not
    yet; t3 answered; t4 30 days old, outside the 7-day watch window.
    Then p1 is acknowledged and t1 answered: both resolved, at those times; t5 stays open."""
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
    (feed_dir() / "broken.jsonl").write_text("{not json\n")  # the feed sensor's to report
    tickets = project_env.landing_dir / "support_tickets"
    write_csv(tickets / "1.csv", TICKET_HEADER, [
        ("t1", 1, at(300), "urgent", "bug", None, None, 0, None),
        ("t5", 1, at(270), "high", "bug", None, None, 0, None),
        ("t2", 1, at(60), "normal", "bug", None, None, 0, None),
        ("t3", 1, at(300), "normal", "bug", at(240), None, 0, None),
        ("t4", 1, at(30 * 1440), "normal", "bug", None, None, 0, None),
    ])  # fmt: skip
    with dg.instance_for_test() as instance:
        first = tick("response_watch_sensor", instance, None)
        assert first.skip == (
            "3 escalation alerts raised: incident p1 on api (P1), ticket t1 (P1), ticket t5 (P2)."
        )
        raised = [line for line in first.logs if "Alert raised" in line]
        assert raised == [
            "Alert raised: ack-overdue:p1 (P1, incident p1 on api): P1 incident p1 on api is "
            "unacknowledged 120 min after detection (target 60 min)",
            f"Alert raised: ticket-no-response:t1 (P1, ticket t1): Ticket t1 (urgent priority, "
            f"created {at(300)}) has no first agent response after 4 h",
            f"Alert raised: ticket-no-response:t5 (P2, ticket t5): Ticket t5 (high priority, "
            f"created {at(270)}) has no first agent response after 4 h",
        ]
        second = tick("response_watch_sensor", instance, first.cursor)
        assert second.skip == "0 escalation alerts raised; 1 seen again."
        assert [facts(a) for a in alerts()] == [
            ("ack-overdue:p1", "ack-overdue", "P1", "open", "p1", None, "api", None),
            ("ticket-no-response:t1", "ticket-no-response", "P1", "open", None, "t1", None, None),
            ("ticket-no-response:t5", "ticket-no-response", "P2", "open", None, "t5", None, None),
        ]
        assert all(a.delivery == "recorded (no webhook configured)" for a in alerts())

        write_feed_file(
            feed_dir(),
            "export-2",
            [{"incident_id": "p1", "event_type": "acknowledged", "occurred_at": at(2)}],
        )
        write_csv(tickets / "2.csv", TICKET_HEADER, [
            ("t1", 1, at(300), "urgent", "bug", at(1), None, 0, None)
        ])  # fmt: skip
        third = tick("response_watch_sensor", instance, second.cursor)
    assert third.skip == ("0 escalation alerts raised; 2 resolved: ticket t1, incident p1 on api.")
    assert sum("Alert resolved" in line for line in third.logs) == 2
    by_key = {alert.dedupe_key: alert for alert in alerts()}
    assert (by_key["ack-overdue:p1"].state, by_key["ack-overdue:p1"].resolution) == (
        "resolved",
        f"incident acknowledged at {at(2)}",
    )
    assert by_key["ticket-no-response:t1"].resolved_at == stamp(datetime.fromisoformat(at(1)))
    assert by_key["ticket-no-response:t1"].resolution == f"first agent response at {at(1)}"
    assert by_key["ticket-no-response:t5"].state == "open"
    assert not project_env.duckdb_path.exists()


def test_burn_rate_pages_once_per_episode_and_resolves_when_it_ends(
    project_env: Settings,
) -> None:
    """api probes every 5 min for the last hour, the last two failed: 1 h burn = (2/12) / 0.001
    = 167 and 5 min burn (the last probe) = 1 / 0.001 = 1000, both > 14.4: a fast burn, P1. A
    further failure continues the same episode: no second page. batch is not customer-facing.
    Then good probes for 30 min (now + 5 .. now + 35): the 5 min and 30 min windows are clean, so
    neither pair fires: resolved at the last probe."""
    landing = project_env.landing_dir
    write_csv(landing / "services.csv", "service_id,product_id,customer_facing", [
        ("api", None, True), ("batch", None, False)
    ])  # fmt: skip
    probes = [("api", at(5 * k + 1), k > 1, None, False) for k in range(11, -1, -1)]
    probes += [("batch", at(1), False, None, False)]
    write_csv(landing / "health_checks" / "1.csv", PROBE_HEADER, probes)
    with dg.instance_for_test() as instance:
        first = tick("burn_rate_sensor", instance, None)
        assert [facts(a)[1:] for a in alerts()] == [
            ("burn-rate", "P1", "open", None, None, "api", None)
        ]
        assert first.skip == "1 services burning; 1 burn-rate alerts raised: service api (P1)."
        write_csv(landing / "health_checks" / "2.csv", PROBE_HEADER, [
            ("api", at(0), False, None, False)
        ])  # fmt: skip
        second = tick("burn_rate_sensor", instance, first.cursor)
        assert len(alerts()) == 1
        assert json.loads(second.cursor)["firing"].keys() == {"api"}
        write_csv(landing / "health_checks" / "3.csv", PROBE_HEADER, [
            ("api", at(-5 * k), True, 90, False) for k in range(1, 8)
        ])  # fmt: skip
        third = tick("burn_rate_sensor", instance, second.cursor)
    assert third.skip == "0 services burning; 0 burn-rate alerts raised; 1 resolved: service api."
    (alert,) = alerts()
    assert (alert.state, alert.resolved_at) == ("resolved", stamp(datetime.fromisoformat(at(-35))))
    assert not project_env.duckdb_path.exists()


def test_a_failed_run_raises_one_alert_and_a_later_success_resolves_it(
    project_env: Settings, tmp_path: Path
) -> None:
    """`flaky` fails, then succeeds: its run-failure alert is resolved by the success of the
    same job on the same asset. A success of another asset (`other`) in between resolves
    nothing."""
    mended = tmp_path / "mended"

    @dg.asset
    def flaky() -> None:
        if not mended.exists():
            raise RuntimeError("boom")

    @dg.asset
    def other() -> None:
        return None

    repository = defs.get_repository_def()
    failure_sensor = repository.get_sensor_def("run_failure_alert_sensor")
    recovery_sensor = repository.get_sensor_def("run_recovery_alert_sensor")

    def react(sensor, instance: dg.DagsterInstance, run_id: str, event_type) -> None:
        (record,) = instance.get_records_for_run(run_id, of_type=event_type).records
        context = dg.build_run_status_sensor_context(
            sensor_name=sensor.name,
            dagster_event=record.event_log_entry.dagster_event,
            dagster_instance=instance,
            dagster_run=instance.get_run_by_id(run_id),
            resources={"alerts": AlertResource()},
        )
        sensor(context)

    job = dg.Definitions(assets=[flaky, other]).resolve_implicit_global_asset_job_def()
    with dg.instance_for_test() as instance:
        failed = job.execute_in_process(
            instance=instance, asset_selection=[flaky.key], raise_on_error=False
        )
        assert not failed.success
        for _ in range(2):  # the same failure seen twice still pages once
            react(failure_sensor, instance, failed.run_id, dg.DagsterEventType.RUN_FAILURE)
        unrelated = job.execute_in_process(instance=instance, asset_selection=[other.key])
        react(recovery_sensor, instance, unrelated.run_id, dg.DagsterEventType.RUN_SUCCESS)
        assert [a.state for a in alerts()] == ["open"]
        mended.touch()
        recovered = job.execute_in_process(instance=instance, asset_selection=[flaky.key])
        react(recovery_sensor, instance, recovered.run_id, dg.DagsterEventType.RUN_SUCCESS)
        ended = instance.get_run_record_by_id(recovered.run_id).end_time
    (alert,) = alerts()
    assert facts(alert) == (
        f"run-failure:{failed.run_id}", "run-failure", "P2", "resolved", None, None, None,
        failed.run_id,
    )  # fmt: skip
    assert alert.occurrences == 2 and "Steps failed: ['flaky']" in alert.message
    assert alert.resolution == f"run {recovered.run_id} of __ASSET_JOB succeeded"
    assert alert.resolved_at == stamp(datetime.fromtimestamp(ended, UTC))


def test_every_sensor_runs_by_default_and_targets_are_known() -> None:
    sensors = {s.name: s for s in defs.get_repository_def().sensor_defs}
    mine = {
        "incident_feed_sensor",
        "incident_detection_sensor",
        "response_watch_sensor",
        "burn_rate_sensor",
        "run_failure_alert_sensor",
        "run_recovery_alert_sensor",
        "alerts_table_sensor",
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
    not requested, and one P2 alert names it; replacing the file resolves that alert."""
    write_feed_file(
        feed_dir(),
        "minor",
        [{"incident_id": "p2", "event_type": "opened", "occurred_at": at(1), "severity": "P2"}],
    )
    (feed_dir() / "broken.jsonl").write_text("{not json\n")
    with dg.instance_for_test() as instance:
        first = tick("incident_feed_sensor", instance, None)
        (request,) = first.run_requests
        assert request.tags["nexus/alerts"] == (
            "1 incident feed alerts raised: feed file broken.jsonl (P2)."
        )
        (feed_dir() / "broken.jsonl").unlink()
        write_feed_file(feed_dir(), "broken", [])  # the exporter's fixed file: no events
        fixed = tick("incident_feed_sensor", instance, first.cursor)
    assert request.asset_selection == [INCIDENT_KEYS[0]]
    assert request.run_config["ops"][FEED_OP]["config"]["files"] == [
        str(feed_dir() / "minor.jsonl")
    ]
    ((key, kind, severity, state, message),) = [
        (a.dedupe_key, a.kind, a.severity, a.state, a.message) for a in alerts()
    ]
    assert key.startswith("feed-invalid:") and (kind, severity) == ("feed-invalid", "P2")
    assert "broken.jsonl" in message and state == "resolved"
    assert (
        fixed.run_requests[0]
        .tags["nexus/alerts"]
        .startswith("0 incident feed alerts raised; 1 resolved: feed-invalid:")
    )


def test_alerts_reach_the_alerts_asset_through_its_sensor(
    project_env: Settings, warehouse: Warehouse
) -> None:
    """The response watch raises two escalations; alerts_table_sensor, reading only the record
    and the instance, requests a run; that run writes them to reporting.alerts and its
    metadata. A tick that only sees them again asks for nothing; a resolution is news again."""
    write_feed_file(
        feed_dir(),
        "export",
        [{"incident_id": "inc_9", "event_type": "opened", "occurred_at": at(120),
          "severity": "P1", "service_id": "api"}],
    )  # fmt: skip
    write_csv(project_env.landing_dir / "support_tickets.csv", TICKET_HEADER, [
        ("T-1", 1, at(300), "normal", "bug", None, None, 0, None),
    ])  # fmt: skip
    job = defs.resolve_implicit_global_asset_job_def()
    with dg.instance_for_test() as instance:
        watch = tick("response_watch_sensor", instance, None)
        assert watch.skip == (
            "2 escalation alerts raised: incident inc_9 on api (P1), ticket T-1 (P3)."
        )
        (request,) = tick("alerts_table_sensor", instance, None).run_requests
        assert request.asset_selection == [ALERTS_KEY]
        assert not project_env.duckdb_path.exists()  # no sensor opened the warehouse
        run = job.execute_in_process(
            instance=instance, asset_selection=request.asset_selection, tags=request.tags
        )
        assert run.success
        (event,) = run.get_asset_materialization_events()
        with warehouse.get_connection(read_only=True) as connection:
            assert connection.execute(
                "select alert_key, severity, state, incident_id, ticket_id, service_id, "
                "raised_by, times_seen from reporting.alerts order by alert_key"
            ).fetchall() == [
                ("ack-overdue:inc_9", "P1", "open", "inc_9", None, "api",
                 "response_watch_sensor", 1),
                ("ticket-no-response:T-1", "P3", "open", None, "T-1", None,
                 "response_watch_sensor", 1),
            ]  # fmt: skip
        metadata = event.materialization.metadata
        assert {record.data["alert_key"] for record in metadata["alerts"].value.records} == {
            "ack-overdue:inc_9",
            "ticket-no-response:T-1",
        }
        assert (metadata["alerts_open"].value, metadata["open_p1"].value) == (2, 1)
        assert tick("alerts_table_sensor", instance, None).skip == (
            "reporting.alerts is current: 2 alerts, 2 open."
        )

        # Seen again (the incident is still unacknowledged): only a sighting, no run yet.
        watch = tick("response_watch_sensor", instance, watch.cursor)
        quiet = tick("alerts_table_sensor", instance, None)
        assert quiet.run_requests == [] and "only sightings changed" in (quiet.skip or "")

        # Acknowledged: the escalation is resolved, and the table is refreshed.
        write_feed_file(
            feed_dir(),
            "export-2",
            [{"incident_id": "inc_9", "event_type": "acknowledged", "occurred_at": at(1)}],
        )
        tick("response_watch_sensor", instance, watch.cursor)
        (again,) = tick("alerts_table_sensor", instance, None).run_requests
        assert again.run_key != request.run_key
        assert job.execute_in_process(
            instance=instance, asset_selection=again.asset_selection, tags=again.tags
        ).success
    with warehouse.get_connection(read_only=True) as connection:
        assert connection.execute(
            "select alert_key, state, times_seen from reporting.alerts order by alert_key"
        ).fetchall() == [
            ("ack-overdue:inc_9", "resolved", 2),
            ("ticket-no-response:T-1", "open", 1),
        ]


def test_alerts_table_sensor_waits_for_a_refresh_on_its_way_and_after_a_failed_one(
    project_env: Settings,
) -> None:
    """A refresh that failed is not retried for 15 minutes (its own failure alert would
    otherwise request the next one at once); a refresh queued is not requested twice."""

    @dg.asset
    def refresh() -> None:
        raise RuntimeError("the warehouse is full")

    job = dg.Definitions(assets=[refresh]).resolve_implicit_global_asset_job_def()
    AlertResource().raise_alert("ticket-no-response:T-2", "P3", "test", "waits", ticket_id="T-2")
    with dg.instance_for_test() as instance:
        failed = job.execute_in_process(instance=instance, tags=TRIGGER_TAGS, raise_on_error=False)
        assert not failed.success
        ended = datetime.fromtimestamp(instance.get_run_record_by_id(failed.run_id).end_time, UTC)
        paused = tick("alerts_table_sensor", instance, None)
        assert paused.run_requests == []
        assert paused.skip == (
            f"The last refresh of reporting.alerts failed at {ended:%H:%M} UTC; the next try "
            f"after {ended + timedelta(minutes=15):%H:%M} UTC (1 alerts, 1 open)."
        )
        instance.create_run_for_job(job_def=job, tags=TRIGGER_TAGS)  # not started yet
        waiting = tick("alerts_table_sensor", instance, None)
    assert waiting.skip == "A refresh of reporting.alerts is queued or running."
