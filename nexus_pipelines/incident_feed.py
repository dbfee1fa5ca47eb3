"""The live incident feed: JSON-lines incident events, as an on-call tool's webhook export has them.

Files `*.jsonl` arrive in NEXUS_INCIDENT_FEED_DIR (default `<landing>/_incident_feed/`, a folder
the raw ingestion skips because it starts with `_`). One line is one event:

    {"incident_id": "inc_42", "event_type": "opened", "occurred_at": "2026-11-25T10:00:00Z",
     "severity": "P0", "service_id": "api", "title": "api down", "event_id": "optional"}

`event_type` is opened, acknowledged, resolved or severity_changed (which carries the new
severity). The sensors read these files, never the warehouse; the incident_feed_events asset
loads them into DuckDB. An event without event_id is named by the hash of its content, so the
same event delivered twice is loaded once.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from nexus_pipelines.settings import load_settings

EVENT_TYPES = ("opened", "acknowledged", "resolved", "severity_changed")
SEVERITIES = ("P0", "P1", "P2", "P3")
FEED_SUFFIX = ".jsonl"


def feed_dir() -> Path:
    """NEXUS_INCIDENT_FEED_DIR, else `<landing>/_incident_feed/` (the ingestion skips it)."""
    value = os.environ.get("NEXUS_INCIDENT_FEED_DIR")
    if value:
        return Path(value).expanduser().resolve()
    return load_settings().landing_dir / "_incident_feed"


@dataclass(frozen=True)
class FeedEvent:
    event_id: str
    incident_id: str
    event_type: str
    occurred_at: datetime
    severity: str | None
    service_id: str | None
    title: str | None

    def record(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "incident_id": self.incident_id,
            "event_type": self.event_type,
            "occurred_at": self.occurred_at.isoformat(),
            "severity": self.severity,
            "service_id": self.service_id,
            "title": self.title,
        }


def parse_event(raw: dict[str, Any], where: str) -> FeedEvent:
    """One JSON object -> a validated event; the message names the file and line."""
    missing = {"incident_id", "event_type", "occurred_at"} - raw.keys()
    if missing:
        raise ValueError(f"{where}: missing {sorted(missing)}")
    if raw["event_type"] not in EVENT_TYPES:
        raise ValueError(f"{where}: event_type must be one of {EVENT_TYPES}")
    severity = raw.get("severity")
    if severity is not None and severity not in SEVERITIES:
        raise ValueError(f"{where}: severity must be one of {SEVERITIES}")
    if raw["event_type"] in ("opened", "severity_changed") and severity is None:
        raise ValueError(f"{where}: an {raw['event_type']} event needs a severity")
    occurred = datetime.fromisoformat(str(raw["occurred_at"]).replace("Z", "+00:00"))
    if occurred.tzinfo is None:
        raise ValueError(f"{where}: occurred_at needs a timezone offset")
    content = json.dumps(raw, sort_keys=True, default=str)
    return FeedEvent(
        event_id=str(raw.get("event_id") or hashlib.sha256(content.encode()).hexdigest()[:32]),
        incident_id=str(raw["incident_id"]),
        event_type=raw["event_type"],
        occurred_at=occurred,
        severity=severity,
        service_id=raw.get("service_id"),
        title=raw.get("title"),
    )


def read_feed_file(path: Path) -> list[FeedEvent]:
    events = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            events.append(parse_event(json.loads(line), f"{path.name}:{number}"))
    return events


def list_feed_files(directory: Path) -> list[Path]:
    """Complete feed files, sorted; hidden files are writes still in progress."""
    if not directory.is_dir():
        return []
    return sorted(
        path
        for path in directory.glob(f"*{FEED_SUFFIX}")
        if path.is_file() and not path.name.startswith((".", "_", "~"))
    )


def write_feed_file(directory: Path, name: str, events: list[dict[str, Any]]) -> Path:
    """Write atomically (hidden temporary name, then rename) so a reader never sees half a file."""
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"{name}{FEED_SUFFIX}"
    temporary = directory / f".{name}{FEED_SUFFIX}.tmp"
    temporary.write_text("".join(json.dumps(event) + "\n" for event in events), encoding="utf-8")
    temporary.replace(target)
    return target


@dataclass
class IncidentState:
    incident_id: str
    severity: str
    service_id: str | None
    title: str | None
    detected_at: datetime
    acknowledged_at: datetime | None = None
    resolved_at: datetime | None = None


def incident_states(events: list[FeedEvent]) -> dict[str, IncidentState]:
    """Fold events (in time order) into each incident's current state."""
    states: dict[str, IncidentState] = {}
    for event in sorted(events, key=lambda item: item.occurred_at):
        state = states.get(event.incident_id)
        if state is None:
            state = states[event.incident_id] = IncidentState(
                incident_id=event.incident_id,
                severity=event.severity or "P3",
                service_id=event.service_id,
                title=event.title,
                detected_at=event.occurred_at,
            )
        if event.severity:
            state.severity = event.severity
        state.service_id = event.service_id or state.service_id
        if event.event_type == "acknowledged" and state.acknowledged_at is None:
            state.acknowledged_at = event.occurred_at
        elif event.event_type == "resolved":
            state.resolved_at = event.occurred_at
        elif event.event_type == "opened":
            state.resolved_at = None
    return states


def read_feed(directory: Path) -> list[FeedEvent]:
    """Every event in the folder (files are small; sensors re-read them for the current state)."""
    return [event for path in list_feed_files(directory) for event in read_feed_file(path)]
