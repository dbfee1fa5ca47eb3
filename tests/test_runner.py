"""`nexus materialize` plans runs: one partitioning per run, upstream runs first; its runs show
on their jobs' pages in the UI.

Hand-worked graph: raw (unpartitioned) -> a (days_by_month) -> b (unpartitioned) -> c (monthly)
-> d (unpartitioned), and e (unpartitioned, no upstream). A days_by_month run can hold raw, e, a
and b (c is monthly, d needs c); a monthly run could hold only raw and e (c needs b, which needs
a). The larger goes first: days_by_month {a, b, e, raw}, then monthly {c, d}. Independent chains
of two partitionings (f days_by_month, g monthly below) each take one run rather than
alternating.
"""

from datetime import timedelta
from pathlib import Path

import dagster as dg
import pytest
from dagster_graphql.test.utils import define_out_of_process_context, execute_dagster_graphql
from deployment import RUN_LINE, YESTERDAY, deployment, instance_of, nexus

from nexus_pipelines.definitions import rebuild_job_name
from nexus_pipelines.partitions import DAYS_BY_MONTH, MONTHLY
from nexus_pipelines.runner import _readers_of_nothing_partitioned, plan_runs
from nexus_pipelines.settings import PROJECT_DIR


@dg.asset(key=["raw", "src"])
def raw_src() -> None: ...


@dg.asset(deps=[raw_src], partitions_def=DAYS_BY_MONTH)
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
    assert [run.partitioning for run in runs] == ["days_by_month", "monthly"]
    assert names(runs[0]) == ["a", "b", "e", "raw/src"]
    assert names(runs[1]) == ["c", "d"]


@dg.asset(deps=[a], partitions_def=DAYS_BY_MONTH)
def f() -> None: ...


@dg.asset(deps=[raw_src], partitions_def=MONTHLY)
def g() -> None: ...


@dg.asset(deps=[g])
def h() -> None: ...


@dg.asset(deps=[h], partitions_def=DAYS_BY_MONTH)
def i() -> None: ...


def test_independent_chains_do_not_alternate() -> None:
    """raw -> a -> f (days_by_month chain); raw -> g (monthly) -> h -> i (days_by_month, needs
    the monthly). A days_by_month run first could hold raw, a, f (i waits on g); a monthly run
    first raw, g, h. Tie at three: the coarser (monthly) goes first, and then one days_by_month
    run takes a, f and i: two runs, where days_by_month first would have needed three
    (days_by_month, monthly, days_by_month)."""
    runs = plan_runs([raw_src, a, f, g, h, i])
    assert [(run.partitioning, names(run)) for run in runs] == [
        ("monthly", ["g", "h", "raw/src"]),
        ("days_by_month", ["a", "f", "i"]),
    ]


def test_without_ingest_the_raw_assets_are_left_out() -> None:
    runs = plan_runs([raw_src, a, b, c, d, e], ingest=False)
    assert names(runs[0]) == ["a", "b", "e"]


def test_a_cycle_is_reported() -> None:
    @dg.asset(key="x", deps=["y"])
    def x() -> None: ...

    @dg.asset(key="y", deps=["x"])
    def y() -> None: ...

    with pytest.raises(ValueError, match="cycle"):
        plan_runs([x, y])


@dg.asset(deps=[d])
def d_report() -> None: ...


def test_a_range_without_a_month_runs_only_what_reads_nothing_monthly() -> None:
    """A run of raw, e, c (monthly), d (reads c) and d_report (reads d) over days that hold no
    complete month: c waits, and so do d and d_report, which would read its missing table;
    raw and e still run."""
    defs = dg.Definitions(assets=[raw_src, a, b, c, d, d_report, e])
    keys = [dg.AssetKey(path) for path in (["raw", "src"], ["e"], ["c"], ["d"], ["d_report"])]
    kept = _readers_of_nothing_partitioned(defs, keys)
    assert [key.to_user_string() for key in kept] == ["raw/src", "e"]


REPOSITORIES = (
    "{ repositoriesOrError { ... on RepositoryConnection { nodes { name location { name } } } } }"
)
# the query of a job's Runs tab (PipelineRunsFeedRoot): the job's name and its repository's label
JOB_RUNS_TAB = """
query ($filter: RunsFilter) {
  runsFeedOrError(limit: 50, view: RUNS, filter: $filter) {
    ... on RunsFeedConnection { results { ... on Run { id jobName } } }
  }
}
"""
JOB_RUNS = """
query ($selector: PipelineSelector!) {
  pipelineOrError(params: $selector) { ... on Pipeline { runs { runId } } }
}
"""
RUN = """
query ($runId: ID!) {
  runOrError(runId: $runId) {
    ... on Run { jobName repositoryOrigin { repositoryName repositoryLocationName } }
  }
}
"""


def test_the_cli_runs_show_on_their_jobs_pages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real `nexus materialize` of one small file, then what the UI asks of the instance, through
    Dagster's GraphQL API on the code location workspace.yaml loads: each run is on its job's
    Runs tab and in the job's runs, and names its job's repository (the UI's link to the job)."""
    env = deployment(tmp_path)
    month = (YESTERDAY.replace(day=1) - timedelta(days=1)).replace(day=1)  # last month's first
    (Path(env["NEXUS_LANDING_DIR"]) / "subscription_periods.csv").write_text(
        "subscription_id,customer_id,monthly_amount,status,started_at,ended_at\n"
        f"s1,1,50.00,active,{month.isoformat()}T00:00:00Z,\n"
    )
    output = nexus(env, "materialize")
    runs = {line["run_id"]: line["partitioning"] for line in RUN_LINE.finditer(output)}
    # the tables of both partitionings, then the reports of each cadence's newest period whose
    # data exists: the daily ones (the running month), the weekly ones and the monthly ones
    assert sorted(runs.values()) == sorted(
        ["days_by_month", "monthly", "days_by_month", "weekly", "monthly"]
    ), output
    same_job = {p: {i for i, q in runs.items() if q == p} for p in runs.values()}
    for name, value in env.items():  # the code location's process reads the deployment's settings
        monkeypatch.setenv(name, value)
    with (
        instance_of(env) as instance,
        define_out_of_process_context(
            str(PROJECT_DIR / "workspace.yaml"), None, instance
        ) as context,
    ):
        (repository,) = execute_dagster_graphql(context, REPOSITORIES).data["repositoriesOrError"][
            "nodes"
        ]
        label = f"{repository['name']}@{repository['location']['name']}"
        for run_id, partitioning in runs.items():
            job = rebuild_job_name(partitioning)
            tab = execute_dagster_graphql(
                context,
                JOB_RUNS_TAB,
                {
                    "filter": {
                        "pipelineName": job,
                        "tags": [{"key": ".dagster/repository", "value": label}],
                    }
                },
            ).data["runsFeedOrError"]["results"]
            assert {(r["id"], r["jobName"]) for r in tab} == {
                (i, job) for i in same_job[partitioning]
            }
            selector = {
                "pipelineName": job,
                "repositoryName": repository["name"],
                "repositoryLocationName": repository["location"]["name"],
            }
            listed = execute_dagster_graphql(context, JOB_RUNS, {"selector": selector})
            assert {r["runId"] for r in listed.data["pipelineOrError"]["runs"]} == same_job[
                partitioning
            ]
            run = execute_dagster_graphql(context, RUN, {"runId": run_id}).data["runOrError"]
            assert run["repositoryOrigin"] == {
                "repositoryName": repository["name"],
                "repositoryLocationName": repository["location"]["name"],
            }
