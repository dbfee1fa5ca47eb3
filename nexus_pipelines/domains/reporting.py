"""Reporting: the scorecard and the cadences' reviews, which read every other domain's tables."""

from collections.abc import Sequence

import dagster as dg

from nexus_pipelines.cadences import build_review_assets
from nexus_pipelines.scorecard import build_scorecard_asset


def build_reports(upstream: Sequence[dg.AssetKey]) -> list[dg.AssetsDefinition]:
    return [build_scorecard_asset(upstream), *build_review_assets()]
