"""The playbook's own tables (assets/playbook/*.yaml) as typed objects."""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import pandas as pd

from nexus_pipelines.contract import validate_identifier
from nexus_pipelines.settings import ASSETS_DIR, load_yaml

PLAYBOOK_DIR = ASSETS_DIR / "playbook"
COMPARATORS: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}
CADENCE_IDS = ("continuous", "daily", "weekly", "biweekly", "monthly", "quarterly")


def owner_for(role: str) -> str:
    """Dagster owners are emails or teams; a playbook role is a team."""
    return f"team:{role}"


@dataclass(frozen=True)
class SuccessMetric:
    id: str
    name: str
    category: str
    target: float
    comparator: str
    unit: str
    owner: str
    cadence: str

    def is_met(self, value: float) -> bool:
        return COMPARATORS[self.comparator](value, self.target)

    @property
    def target_text(self) -> str:
        return f"{self.comparator} {self.target:g}"


@dataclass(frozen=True)
class Activity:
    role: str
    activity: str
    output: str


@dataclass(frozen=True)
class Cadence:
    id: str
    name: str
    cron: str | None
    every_other_week: bool
    activities: tuple[Activity, ...]

    @property
    def roles(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(activity.role for activity in self.activities))


@cache
def success_metrics() -> tuple[SuccessMetric, ...]:
    path = PLAYBOOK_DIR / "success_metrics.yaml"
    metrics = []
    for raw in load_yaml(path)["metrics"]:
        metric = SuccessMetric(
            id=validate_identifier(raw["id"], f"{path.name}: metric id"),
            name=raw["name"],
            category=raw["category"],
            target=float(raw["target"]),
            comparator=raw["comparator"],
            unit=raw["unit"],
            owner=raw["owner"],
            cadence=raw["cadence"],
        )
        if metric.comparator not in COMPARATORS:
            raise ValueError(f"{path.name}: {metric.id} has unknown comparator {metric.comparator}")
        if metric.cadence not in CADENCE_IDS:
            raise ValueError(f"{path.name}: {metric.id} has unknown cadence {metric.cadence}")
        metrics.append(metric)
    return tuple(metrics)


@cache
def cadences() -> tuple[Cadence, ...]:
    path = PLAYBOOK_DIR / "cadences.yaml"
    result = []
    for raw in load_yaml(path)["cadences"]:
        if raw["id"] not in CADENCE_IDS:
            raise ValueError(f"{path.name}: unknown cadence {raw['id']}")
        if (raw["id"] == "continuous") != ("cron" not in raw):
            raise ValueError(f"{path.name}: only the continuous cadence runs without a cron")
        result.append(
            Cadence(
                id=raw["id"],
                name=raw["name"],
                cron=raw.get("cron"),
                every_other_week=bool(raw.get("every_other_week", False)),
                activities=tuple(Activity(**activity) for activity in raw["activities"]),
            )
        )
    return tuple(result)


def cadence(cadence_id: str) -> Cadence:
    return next(item for item in cadences() if item.id == cadence_id)


@cache
def playbook_tables() -> dict[str, pd.DataFrame]:
    """The playbook's agenda and success metrics as tables a report's queries read, in the
    playbook's own order (`position`); `target_text` reads as the scorecard prints it."""
    activities = pd.DataFrame(
        [
            (item.id, item.name, position, a.role, a.activity, a.output)
            for item in cadences()
            for position, a in enumerate(item.activities, start=1)
        ],
        columns=["cadence", "cadence_name", "position", "role", "activity", "output"],
    )
    metrics = pd.DataFrame(
        [
            {
                "position": position,
                "metric": m.id,
                "name": m.name,
                "category": m.category,
                "comparator": m.comparator,
                "target": m.target,
                "unit": m.unit,
                "target_text": f"{m.target_text} {m.unit}",
                "owner": m.owner,
                "cadence": m.cadence,
            }
            for position, m in enumerate(success_metrics(), start=1)
        ]
    )
    return {"playbook_activities": activities, "playbook_success_metrics": metrics}
