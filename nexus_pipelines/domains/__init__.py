"""The domains' own Python, one module per domain, found by name (nexus_pipelines/project.py).

A module may offer any of: `HOOKS` (checks, pictures and report computations its declarations
name), `build_assets(source)`, `build_sensors(source)` and `build_resources(source)`, each given
the `Project` (its settings, loaded once, and its queries). Reports need no Python of their
own: they are declared in `assets/domains/<domain>/reports.yaml` (nexus_pipelines/reports.py), and
one that computes rows first (the scorecard) names a `ReportHook` in `HOOKS`.
"""
