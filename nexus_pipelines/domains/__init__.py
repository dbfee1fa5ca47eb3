"""The domains' own Python, one module per domain, found by name (nexus_pipelines/project.py).

A module may offer any of: `HOOKS` (checks, pictures and report computations its declarations
name), `build_assets()`, `build_sensors()` and `build_resources()`. Reports need no Python of
their own: they are declared in `assets/domains/<domain>/reports.yaml` (nexus_pipelines/reports.py),
and one that computes rows first (the scorecard) names a `ReportHook` in `HOOKS`.
"""
