"""The domains' own Python, one module per domain, found by name (nexus_pipelines/project.py).

A module may offer any of: `HOOKS` (checks and pictures its declarations name), `build_assets()`,
`build_sensors()`, `build_resources()`, and `build_reports(upstream)` for assets that read every
other domain's (the scorecard and the cadence reviews). Reports made of SQL sections need no
Python: they are declared in `assets/domains/<domain>/reports.yaml` (nexus_pipelines/reports.py).
"""
