"""Experiments (issue #12): A/B results a statistician would sign, worked out by hand.

The comparison is GrowthBook's frequentist one. For a control c and a treatment t with n users,
mean m and variance v (a conversion: v = p(1 - p); a mean metric: the n - 1 sample variance),
write s = v / n (the variance of a mean):
  relative lift   L = (m_t - m_c) / m_c
  its variance    Var(L) = s_t / m_c^2 + s_c m_t^2 / m_c^4          (delta method)
  Welch df        (s_t + s_c)^2 / (s_t^2 / (n_t - 1) + s_c^2 / (n_c - 1))
  t = L / sqrt(Var(L)); p = 2 P(T_df > |t|); interval L -+ t(0.975, df) sqrt(Var(L))
  absolute        d = m_t - m_c, interval d -+ t(0.975, df) sqrt(s_t + s_c)
The t quantiles and tail areas below are the t distribution's (tables); everything else is
arithmetic shown next to it. Sample-ratio mismatch: chi-square of assigned users against the
planned split; with two variants it has one degree of freedom, so p = erfc(sqrt(chi2 / 2)).
"""

import math
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest
from deployment import deployment, nexus
from matplotlib.colors import to_hex
from report_runs import materialize
from scipy import stats

from nexus_pipelines.contract import load_contract
from nexus_pipelines.domains import experiments
from nexus_pipelines.domains.experiments import Sample, compare, sample_ratio_mismatch
from nexus_pipelines.project import project
from nexus_pipelines.reports import build_report_asset, load_reports
from nexus_pipelines.sql_assets import build_sql_asset, declaration_named
from nexus_pipelines.warehouse import Warehouse

ALPHA = 0.05
[SUMMARY] = [report for report in load_reports() if report.name == "experiment_results_summary"]
CLOSE = {"abs": 5e-5}


def test_a_proportion_by_hand() -> None:
    """100 of 1,000 control users convert, 120 of 1,000 treated ones.

    m_c = 0.10, v_c = 0.1 x 0.9 = 0.09, s_c = 0.09 / 1000 = 0.00009
    m_t = 0.12, v_t = 0.12 x 0.88 = 0.1056, s_t = 0.0001056
    L = 0.02 / 0.1 = 0.2; Var(L) = 0.0001056 / 0.01 + 0.00009 x 0.0144 / 0.0001
      = 0.01056 + 0.01296 = 0.02352, sqrt = 0.153362
    df = 0.0001956^2 / ((0.0001056^2 + 0.00009^2) / 999) = 1985.37; t(0.975, 1985.37) = 1.96116
    t = 0.2 / 0.153362 = 1.30410, p = 0.19235
    interval 0.2 -+ 1.96116 x 0.153362 = (-0.10077, 0.50077): it holds zero
    absolute d = 0.02, sqrt(0.0001956) = 0.013986, interval (-0.00743, 0.04743)
    """
    found = compare(Sample(1000, 100, 100, True), Sample(1000, 120, 120, True), ALPHA)
    assert found is not None
    assert found.relative_lift == pytest.approx(0.2)
    assert found.relative_std_error == pytest.approx(math.sqrt(0.02352))
    assert found.welch_df == pytest.approx(999 * 0.0001956**2 / (0.0001056**2 + 0.00009**2))
    assert found.welch_df == pytest.approx(1985.3715, **CLOSE)
    assert found.t_statistic == pytest.approx(1.30410, **CLOSE)
    assert found.p_value == pytest.approx(0.19235, **CLOSE)
    assert found.relative_ci == pytest.approx((-0.10077, 0.50077), **CLOSE)
    assert found.absolute_difference == pytest.approx(0.02)
    assert found.absolute_ci == pytest.approx((-0.00743, 0.04743), **CLOSE)
    assert not found.excludes_zero()


def test_a_continuous_metric_published_by_growthbook() -> None:
    """gbstats' own test vector (packages/stats/tests/frequentist/test_tests.py):
    control n 3407, sum 1396.87, sum of squares 52377.9767; treatment n 3461, sum 2422.7,
    sum of squares 134698.29.

    m_c = 0.41, v_c = (52377.9767 - 1396.87^2 / 3407) / 3406 = 15.21 (sd 3.9)
    m_t = 0.70, v_t = (134698.29 - 2422.7^2 / 3461) / 3460 = 38.44 (sd 6.2)
    s_c = 15.21 / 3407 = 0.0044643, s_t = 38.44 / 3461 = 0.0111066
    L = 0.29 / 0.41 = 0.70732; Var(L) = 0.0111066 / 0.1681 + 0.0044643 x 0.49 / 0.02825761
      = 0.066071 + 0.077413 = 0.143484, sqrt = 0.37879
    df = 0.0155709^2 / (0.0111066^2 / 3460 + 0.0044643^2 / 3406) = 5841.7; t quantile 1.96037
    GrowthBook publishes: interval (-0.03526, 1.44989), p 0.06191; absolute interval
    (0.04538, 0.53462) (its absolute test, p 0.02016).
    """
    found = compare(
        Sample(3407, 1396.87, 52377.9767, False), Sample(3461, 2422.7, 134698.29, False), ALPHA
    )
    assert found is not None
    assert found.relative_lift == pytest.approx(0.29 / 0.41)
    assert found.relative_std_error == pytest.approx(0.37879, **CLOSE)
    assert found.welch_df == pytest.approx(5841.742, abs=1e-3)
    assert found.relative_ci == pytest.approx((-0.03526, 1.44989), **CLOSE)
    assert found.p_value == pytest.approx(0.06191, **CLOSE)
    assert found.absolute_difference == pytest.approx(0.29)
    assert found.absolute_ci == pytest.approx((0.04538, 0.53462), **CLOSE)


def test_a_small_continuous_metric_by_hand_agrees_with_welchs_test() -> None:
    """Control values 1, 2, 3, 4; treatment 2, 3, 4, 5, 6.

    m_c = 2.5, v_c = (1.5^2 + 0.5^2 + 0.5^2 + 1.5^2) / 3 = 5/3, s_c = 5/12 = 0.416667
    m_t = 4, v_t = (4 + 1 + 0 + 1 + 4) / 4 = 2.5, s_t = 0.5
    df = 0.916667^2 / (0.5^2 / 4 + 0.416667^2 / 3) = 0.840278 / 0.120370 = 6.98077
    L = 1.5 / 2.5 = 0.6; Var(L) = 0.5 / 6.25 + 0.416667 x 16 / 39.0625 = 0.08 + 0.170667
      = 0.250667, sqrt = 0.500666; t = 1.19840; t(0.975, 6.98) = 2.36595
    interval 0.6 -+ 2.36595 x 0.500666 = (-0.58455, 1.78455)
    absolute d = 1.5, sqrt(0.916667) = 0.957427, interval (-0.76522, 3.76522); its t and df
    are Welch's unequal-variance t-test's on the raw values (scipy.stats.ttest_ind).
    """
    control, treatment = [1, 2, 3, 4], [2, 3, 4, 5, 6]
    found = compare(
        Sample(4, sum(control), sum(x * x for x in control), False),
        Sample(5, sum(treatment), sum(x * x for x in treatment), False),
        ALPHA,
    )
    assert found is not None
    assert found.welch_df == pytest.approx(0.916667**2 / (0.5**2 / 4 + 0.416667**2 / 3), 1e-5)
    assert found.relative_lift == pytest.approx(0.6)
    assert found.relative_std_error == pytest.approx(math.sqrt(0.08 + 0.416667 * 16 / 39.0625))
    assert found.t_statistic == pytest.approx(1.19840, **CLOSE)
    assert found.p_value == pytest.approx(0.26986, **CLOSE)
    assert found.relative_ci == pytest.approx((-0.58455, 1.78455), **CLOSE)
    assert found.absolute_ci == pytest.approx((-0.76522, 3.76522), **CLOSE)
    welch = stats.ttest_ind(treatment, control, equal_var=False)
    assert found.welch_df == pytest.approx(welch.df)
    assert found.absolute_difference / math.sqrt(0.5 + 5 / 12) == pytest.approx(welch.statistic)


def test_no_comparison_without_users_or_a_control_rate() -> None:
    assert compare(Sample(1, 1, 1, True), Sample(10, 5, 5, True), ALPHA) is None
    assert compare(Sample(10, 0, 0, True), Sample(10, 5, 5, True), ALPHA) is None
    # 5 of 50 against 0 of 50: the treatment's mean 0 has variance 0 x 1 / 50 = 0, and the
    # control's term is multiplied by that mean squared: the lift, -100 %, has no variance
    assert compare(Sample(50, 5, 5, True), Sample(50, 0, 0, True), ALPHA) is None


def test_sample_ratio_mismatch_warns_below_one_in_a_thousand() -> None:
    """Planned 50/50 of 1,000 users: 500 expected each.
    560/440: chi2 = 60^2/500 x 2 = 14.4, p = erfc(sqrt(7.2)) = 0.000148 < 0.001: a mismatch.
    550/450: chi2 = 50^2/500 x 2 = 10.0, p = erfc(sqrt(5)) = 0.001565 >= 0.001: none (though
    it would fail at 0.05: the threshold is the strict one on purpose)."""
    expected, chi2, p = sample_ratio_mismatch([560, 440], [0.5, 0.5]) or ([], 0, 0)
    assert expected == [500, 500]
    assert chi2 == pytest.approx(14.4)
    assert p == pytest.approx(math.erfc(math.sqrt(7.2)))
    assert p < 0.001
    _, chi2, p = sample_ratio_mismatch([550, 450], [0.5, 0.5]) or ([], 0, 0)
    assert chi2 == pytest.approx(10.0)
    assert p == pytest.approx(math.erfc(math.sqrt(5)))
    assert 0.001 < p < 0.05
    assert sample_ratio_mismatch([0, 0], [0.5, 0.5]) is None


# ---------------------------------------------------------------- the assets on a small company
# experiment: (name, metric type, ended, rolled out, [(variant, planned share, users assigned,
# users observed, conversions or values)])
COMPANY = {
    "exp_checkout": (
        "conversion", True, "treatment",
        [("control", 0.5, 1000, 1000, 100), ("treatment", 0.5, 1000, 1000, 120)],
    ),
    "exp_widgets": (
        "mean", True, None,
        [("control", 0.5, 4, 4, [1, 2, 3, 4]), ("treatment", 0.5, 5, 5, [2, 3, 4, 5, 6])],
    ),
    # multi-variant: each treatment against the one control
    "exp_layout": (
        "conversion", True, None,
        [
            ("control", 0.5, 400, 400, 40),
            ("value_a", 0.25, 200, 200, 30),
            ("value_b", 0.25, 200, 200, 40),
        ],
    ),
    # running; 560/440 against 50/50; some outcomes not observed yet; a large lift
    "exp_split": (
        "conversion", False, None,
        [("control", 0.5, 560, 500, 50), ("treatment", 0.5, 440, 400, 80)],
    ),
    # running; 550/450 passes the split; a significant lift, but interim
    "exp_fair": (
        "conversion", False, None,
        [("control", 0.5, 550, 550, 55), ("treatment", 0.5, 450, 450, 90)],
    ),
    # planned: declared, nobody assigned yet
    "exp_next": (
        "conversion", False, None, [("control", 0.5, 0, 0, 0), ("treatment", 0.5, 0, 0, 0)],
    ),
}  # fmt: skip


def load_company(warehouse: Warehouse) -> None:
    contract = load_contract()
    assignments, outcomes, first_user = [], [], 1
    with warehouse.get_connection() as connection:
        for name in ("experiments", "experiment_variants", "experiment_assignments"):
            connection.execute(contract[name].ddl())
        connection.execute(contract["experiment_outcomes"].ddl())
        for experiment, (metric_type, ended, rolled_out, variants) in COMPANY.items():
            connection.execute(
                "insert into raw.experiments values ($1, $1, 'metric', $2, "
                "timestamptz '2025-01-01', $3, $4)",
                [experiment, metric_type, "2025-03-01" if ended else None, rolled_out],
            )
            for position, (variant, share, assigned, observed, outcome) in enumerate(variants):
                connection.execute(
                    "insert into raw.experiment_variants values ($1, $2, $3, $4)",
                    [experiment, variant, position == 0, share],
                )
                values = (
                    outcome
                    if isinstance(outcome, list)
                    else [1.0] * outcome + [0.0] * (observed - outcome)
                )
                users = range(first_user, first_user + assigned)
                assignments += [(experiment, user, variant) for user in users]
                outcomes += [(experiment, u, v) for u, v in zip(users, values, strict=False)]
                first_user += assigned
        for table, found, at in (
            ("experiment_assignments", assignments, "2025-01-02"),
            ("experiment_outcomes", outcomes, "2025-01-09"),
        ):
            connection.register("found", pd.DataFrame(found))
            connection.execute(f"insert into raw.{table} select *, timestamptz '{at}' from found")
            connection.unregister("found")


@pytest.fixture(scope="module")
def company(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Warehouse, dg.ExecuteInProcessResult, dg.ExecuteInProcessResult]:
    """The warehouse, the tables' run and the summary's run (for the fortnight of the data's
    end, 2025-03-01: the ends of the completed experiments)."""
    path = Path(tmp_path_factory.mktemp("experiments")) / "warehouse.duckdb"
    warehouse = Warehouse(database=str(path))
    load_company(warehouse)
    instance = dg.DagsterInstance.ephemeral()
    resources = {"warehouse": warehouse}
    tables = dg.materialize(
        [
            build_sql_asset(declaration_named("variant_stats")),
            experiments.build_results_asset(project()),
            build_sql_asset(declaration_named("experiment_status")),
        ],
        resources=resources,
        instance=instance,
    )
    assert tables.success
    summary = materialize([build_report_asset(SUMMARY)], resources, instance)
    assert summary.success
    return warehouse, tables, summary


def rows(warehouse: Warehouse, sql: str) -> list[tuple]:
    with warehouse.get_connection(read_only=True) as connection:
        return connection.execute(sql).fetchall()


def test_variant_statistics_in_sql(company) -> None:
    warehouse, _, _ = company
    found = rows(
        warehouse,
        "select variant, assigned_users, users, metric_sum, metric_sum_squares, "
        "conversion_rate, metric_mean from experiments.variant_stats "
        "where experiment_id in ('exp_widgets', 'exp_split') order by experiment_id, variant",
    )
    assert found == [
        # 500 of 560 observed, 50 converted: 50 / 500
        ("control", 560, 500, 50.0, 50.0, 0.1, None),
        ("treatment", 440, 400, 80.0, 80.0, 0.2, None),
        # 1 + 2 + 3 + 4 = 10, 1 + 4 + 9 + 16 = 30; 2 + ... + 6 = 20, 4 + 9 + 16 + 25 + 36 = 90
        ("control", 4, 4, 10.0, 30.0, None, 2.5),
        ("treatment", 5, 5, 20.0, 90.0, None, 4.0),
    ]


def test_multi_variant_compares_each_treatment_with_the_control(company) -> None:
    """Control 40/400 = 0.10 (s_c = 0.09/400 = 0.000225).
    value_a 30/200 = 0.15: s = 0.1275/200 = 0.0006375; L = 0.5;
      Var = 0.0006375/0.01 + 0.000225 x 0.0225/0.0001 = 0.06375 + 0.050625 = 0.114375
      (sqrt 0.338194); df = 0.0008625^2 / (0.0006375^2/199 + 0.000225^2/399) = 342.95,
      t = 1.47844, p = 0.14021: not significant.
    value_b 40/200 = 0.20: s = 0.16/200 = 0.0008; L = 1.0;
      Var = 0.08 + 0.000225 x 0.04/0.0001 = 0.17 (sqrt 0.412311); df = 314.28,
      t(0.975, 314.28) = 1.96754; interval 1 -+ 0.81124 = (0.18876, 1.81124); p = 0.01586.
    """
    warehouse, _, _ = company
    found = rows(
        warehouse,
        "select variant, mean, relative_lift, relative_lift_std_error, welch_df, "
        "relative_lift_ci_lower, relative_lift_ci_upper, p_value, is_significant, verdict "
        "from experiments.experiment_results where experiment_id = 'exp_layout' "
        "order by is_control desc, variant",
    )
    control, value_a, value_b = found
    assert control == ("control", 0.1, None, None, None, None, None, None, None, "control")
    assert value_a[1:5] == pytest.approx((0.15, 0.5, math.sqrt(0.114375), 342.9527), **CLOSE)
    assert value_a[5:8] == pytest.approx((-0.16520, 1.16520, 0.14021), **CLOSE)
    assert value_a[8:] == (False, "no significant difference")
    assert value_b[1:4] == pytest.approx((0.2, 1.0, math.sqrt(0.17)))
    assert value_b[4:8] == pytest.approx((314.2799, 0.18876, 1.81124, 0.01586), **CLOSE)
    assert value_b[8:] == (True, "better")


def test_the_mismatched_split_warns_and_voids_its_result(company) -> None:
    """exp_split: assigned 560/440 (chi2 14.4, p 0.000148). Its observed rates, 0.1 and 0.2,
    give an interval that excludes zero, but the result is not significant: the split failed.
    exp_fair's 550/450 (p 0.001565) passes, and its significant lift is only interim."""
    warehouse, result, _ = company
    check = next(
        c for c in result.get_asset_check_evaluations() if c.check_name == experiments.SRM_CHECK
    )
    assert not check.passed
    assert check.severity == dg.AssetCheckSeverity.WARN
    assert check.metadata["experiments_with_srm"].value == 1
    # exp_next has nobody assigned: not checked
    assert check.metadata["experiments_checked"].value == 5
    assert "exp_split" in check.metadata["flagged"].value
    assert "exp_fair" not in check.metadata["flagged"].value
    found = rows(
        warehouse,
        "select experiment_id, srm_chi_square, srm_p_value, srm_passed, "
        "relative_lift_ci_lower > 0, is_significant, is_interim, verdict "
        "from experiments.experiment_results where not is_control "
        "and experiment_id in ('exp_split', 'exp_fair') order by experiment_id",
    )
    assert found == [
        ("exp_fair", pytest.approx(10.0), pytest.approx(math.erfc(math.sqrt(5))), True,
         True, True, True, "interim: better"),
        ("exp_split", pytest.approx(14.4), pytest.approx(math.erfc(math.sqrt(7.2))), False,
         True, False, True, "interim: invalid: sample-ratio mismatch"),
    ]  # fmt: skip


def test_status_winner_rollout_and_pipeline(company) -> None:
    warehouse, _, _ = company
    found = rows(
        warehouse,
        "select experiment_id, status, assigned_users, users, srm_passed, winner, "
        "round(winner_lift, 5), is_rolled_out, decision "
        "from experiments.experiment_status order by experiment_id",
    )
    assert found == [
        # rolled out although 0.2 (-0.10, 0.50) was not significant
        ("exp_checkout", "completed", 2000, 2000, True, None, None, True,
         "rolled out without a significant winner"),
        # interim: significant, yet no winner before it ends
        ("exp_fair", "running", 1000, 1000, True, None, None, False,
         "running: interim result, no decision before it ends"),
        ("exp_layout", "completed", 800, 800, True, "value_b", 1.0, False,
         "winner not rolled out yet"),
        ("exp_next", "planned", 0, 0, None, None, None, False, "planned: no users assigned yet"),
        ("exp_split", "running", 1000, 900, False, None, None, False,
         "running with a sample-ratio mismatch: fix the assignment before reading it"),
        ("exp_widgets", "completed", 9, 9, True, None, None, False, "no significant difference"),
    ]  # fmt: skip


def test_the_lift_picture_is_on_the_results(company) -> None:
    warehouse, result, _ = company
    [materialization] = [
        event.materialization
        for event in result.get_asset_materialization_events()
        if event.asset_key == experiments.RESULTS_KEY
    ]
    assert materialization.metadata["lift_chart"].value.startswith("![Relative lift")
    with warehouse.get_connection(read_only=True) as connection:
        frame = connection.execute(
            "from experiments.experiment_results order by experiment_id, variant"
        ).df()
    figure = experiments.lift_chart(frame, 0.95)
    [axes] = figure.axes
    labels = [label.get_text() for label in axes.get_yticklabels()]
    # one line per treatment with a lift (exp_next has none), top to bottom
    assert labels == [
        "exp_checkout\ntreatment",
        "exp_fair\ntreatment [interim]",
        "exp_layout\nvalue_a",
        "exp_layout\nvalue_b",
        "exp_split\ntreatment [interim, SRM]",
        "exp_widgets\ntreatment",
    ]
    # an interval is a horizontal segment (the zero line is a vertical one)
    intervals = [
        line
        for line in axes.get_lines()
        if len(line.get_ydata()) == 2 and line.get_ydata()[0] == line.get_ydata()[1]
    ]
    colours = [to_hex(line.get_color()) for line in intervals]
    grey, green, orange = to_hex("tab:gray"), to_hex("tab:green"), to_hex("tab:orange")
    assert colours == [grey, green, grey, green, orange, grey]
    # value_b's interval: 100 x (0.18876, 1.81124) per cent
    assert list(intervals[3].get_xdata()) == pytest.approx([18.876, 181.124], abs=1e-3)
    # exp_layout's value_b and exp_fair's treatment
    assert materialization.metadata["significant_results"].value == 2


def test_the_bi_weekly_summary_lists_outcomes_validation_and_the_pipeline(company) -> None:
    _, _, result = company
    [summary] = [
        event.materialization.metadata
        for event in result.get_asset_materialization_events()
        if event.asset_key == SUMMARY.key
    ]
    # as of 2025-03-01 (Saturday), the fortnight 02-17 .. 03-01: completed on 03-01 checkout,
    # widgets, layout; treatments with users of those and the running ones: 1 + 1 + 2 + 1 + 1;
    # pipeline: exp_next (planned), exp_fair and exp_split (running)
    assert summary["as_of"].value == "2025-03-01"
    assert summary["completed_rows"].value == 3
    assert summary["treatments_rows"].value == 6
    assert summary["pipeline_rows"].value == 3
    assert summary["sample_ratio_mismatches"].value == 1
    report = summary["report"].value
    pipeline = report[report.index("## Experiment pipeline") :]
    assert pipeline.index("exp_next") < pipeline.index("exp_fair") < pipeline.index("exp_split")
    assert (
        "| exp_layout | value_b | 200 | 100.00 | 18.90 | 181.10 | 0.016 | yes | better |" in report
    )


def summary_of_week(warehouse: Warehouse, week: str) -> dict:
    """The summary of the bi-weekly partition of ISO week `week`, as a backfill renders a past or
    later period: its metadata."""
    result = dg.materialize(
        [build_report_asset(SUMMARY)], resources={"warehouse": warehouse}, partition_key=week
    )
    assert result.success
    [event] = result.asset_materializations_for_node("experiments__experiment_results_summary")
    return event.metadata


def test_a_fortnight_before_the_ends_shows_every_test_running(company) -> None:
    """The partition of 2025-01-06 is as of 01-12: every experiment started on 01-01 and none had
    ended, so none completed in the fortnight (one line says so); the pipeline holds exp_next
    (planned) and the five others running, by id; today's decision shows only where it still
    stands (exp_fair, exp_split: running); all six treatments with users, exp_split's split
    mismatched."""
    warehouse, _, _ = company
    summary = summary_of_week(warehouse, "2025-01-06")
    assert summary["as_of"].value == "2025-01-12"
    report = summary["report"].value
    completed = report.split("## Tests completed in the fortnight")[1].split("## ")[0]
    assert "| none: no experiment completed in the fortnight |" in completed
    assert summary["completed_rows"].value == 1
    pipeline = report.split("## Experiment pipeline")[1].split("## ")[0]
    order = ["exp_next", "exp_checkout", "exp_fair", "exp_layout", "exp_split", "exp_widgets"]
    assert sorted(order, key=pipeline.index) == order
    assert "| exp_checkout | exp_checkout | running | 2025-01-01 | 2,000 | 2,000 |  |" in pipeline
    assert "running: interim result" in pipeline
    assert summary["treatments_rows"].value == 6
    assert summary["sample_ratio_mismatches"].value == 1


def test_a_fortnight_after_the_ends_keeps_the_running_tests_only(company) -> None:
    """The partition of 2025-03-10 (after the data's end: as of its Sunday, 03-16), fortnight
    03-03 .. 03-16: nothing completed in it; exp_fair and exp_split still run: their two
    treatments, one split mismatch; the pipeline exp_next, exp_fair, exp_split."""
    warehouse, _, _ = company
    summary = summary_of_week(warehouse, "2025-03-10")
    assert summary["as_of"].value == "2025-03-16"
    assert summary["completed_rows"].value == 1
    assert summary["treatments_rows"].value == 2
    assert summary["pipeline_rows"].value == 3
    assert summary["sample_ratio_mismatches"].value == 1


def test_the_summary_exports_as_html(company, tmp_path: Path) -> None:
    """`nexus report experiment_results_summary --format html` of the version as of the data's
    end (other tests store other fortnights): every section's title, and the figures read here
    from the tables the report reads."""
    warehouse, _, _ = company
    env = deployment(tmp_path, NEXUS_DUCKDB_PATH=str(warehouse.resolved_path()))
    out = tmp_path / "summary.html"
    nexus(
        env,
        *("report", "experiment_results_summary", "--as-of", "2025-03-01"),
        *("--format", "html", "--out", str(out)),
    )
    page = out.read_text(encoding="utf-8")
    assert "as of 2025-03-01" in page
    for section in SUMMARY.spec.sections:
        assert f"<h2>{section.title}</h2>" in page
    [(lower, upper)] = rows(
        warehouse,
        "select round(100 * relative_lift_ci_lower, 1), round(100 * relative_lift_ci_upper, 1) "
        "from experiments.experiment_results where variant = 'value_b'",
    )
    assert f"<td>{lower:.2f}</td>" in page and f"<td>{upper:.2f}</td>" in page
    [(completed,)] = rows(
        warehouse,
        "select string_agg(experiment_id, ',' order by experiment_id) "
        "from experiments.experiment_status where ended_at::date between '2025-02-17' and "
        "'2025-03-01'",
    )
    for experiment in completed.split(","):
        assert f"<td>{experiment}</td>" in page
    [(mismatched,)] = rows(
        warehouse, "select count(*) from experiments.experiment_status where not srm_passed"
    )
    assert f"<strong>{mismatched}</strong>" in page
