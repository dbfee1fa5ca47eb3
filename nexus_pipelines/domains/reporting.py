"""Reporting: the scorecard's values and target checks, computed before its report renders
(assets/domains/reporting/reports.yaml declares it and the cadence reviews)."""

from nexus_pipelines.scorecard import SCORECARD_HOOK

HOOKS = {"scorecard": SCORECARD_HOOK}
