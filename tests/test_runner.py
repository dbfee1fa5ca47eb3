"""`nexus materialize` plans runs: one partitioning per run, upstream runs first.

Hand-worked graph: raw (unpartitioned) -> a (daily) -> b (unpartitioned) -> c (monthly) -> d
(unpartitioned), and e (unpartitioned, no upstream). Waves by readiness: {raw, e}, {a}, {b}, {c},
{d}. Unpartitioned assets join the run next to them, so the plan is two runs: daily with raw, e,
a and b; then monthly with c and d. c can only start after b, which needs a: that is why the
monthly run comes second.
"""

import dagster as dg
import pytest

from nexus_pipelines.partitions import DAILY, MONTHLY
from nexus_pipelines.runner import plan_runs


@dg.asset(key=["raw", "src"])
def raw_src() -> None: ...


@dg.asset(deps=[raw_src], partitions_def=DAILY)
def a() -> None: ...


@dg.asset(deps=[a])
def b() -> None: ...


@dg.asset(deps=[b], partitions_def=MONTHLY)
def c() -> None: ...


@dg.asset(deps=[c])
def d() -> None: ...


@dg.asset
def e() -> None: ...


def names(run) -> list[str]:
    return [key.to_user_string() for key in run.keys]


def test_runs_follow_dependencies_with_one_partitioning_each() -> None:
    runs = plan_runs([raw_src, a, b, c, d, e])
    assert [run.partitioning for run in runs] == ["daily", "monthly"]
    assert names(runs[0]) == ["e", "raw/src", "a", "b"]
    assert names(runs[1]) == ["c", "d"]


def test_without_ingest_the_raw_assets_are_left_out() -> None:
    runs = plan_runs([raw_src, a, b, c, d, e], ingest=False)
    assert names(runs[0]) == ["a", "e", "b"]


def test_a_cycle_is_reported() -> None:
    @dg.asset(key="x", deps=["y"])
    def x() -> None: ...

    @dg.asset(key="y", deps=["x"])
    def y() -> None: ...

    with pytest.raises(ValueError, match="cycle"):
        plan_runs([x, y])
