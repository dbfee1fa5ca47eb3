"""Experiments: the A/B statistics SQL cannot say (Student's t and chi-square distributions).

experiments.variant_stats (SQL) holds each variant's sufficient statistics; this module compares
each treatment with its experiment's control the way GrowthBook's frequentist engine (gbstats)
does, so a result here can be checked against one there: relative lift (treatment mean - control
mean) / control mean, its variance by the delta method, Welch-Satterthwaite degrees of freedom, a
two-sided t-test and interval (scipy.stats); the absolute difference with its interval beside it;
and the sample-ratio mismatch, chi-square of assigned users against the planned split, which is
also a WARN check. A result is significant only when the split passes and the interval excludes
zero; a running experiment's result is labelled interim.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import dagster as dg
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from nexus_pipelines.metadata import markdown_table, png_markdown, table_metadata
from nexus_pipelines.project import Project
from nexus_pipelines.warehouse import TableRules, Warehouse, replace_where, warehouse_asset

DOMAIN = "experiments"
RESULTS_TABLE = "experiments.experiment_results"
RESULTS_KEY = dg.AssetKey([DOMAIN, "experiment_results"])
SRM_CHECK = "sample_ratio_mismatch"
RESULTS_COLUMNS = {
    "experiment_id": "varchar",
    "variant": "varchar",
    "is_control": "boolean",
    "metric_type": "varchar",
    "assigned_users": "bigint",
    "expected_users": "double",
    "users": "bigint",
    "mean": "double",
    "absolute_difference": "double",
    "absolute_difference_ci_lower": "double",
    "absolute_difference_ci_upper": "double",
    "relative_lift": "double",
    "relative_lift_ci_lower": "double",
    "relative_lift_ci_upper": "double",
    "relative_lift_std_error": "double",
    "welch_df": "double",
    "t_statistic": "double",
    "p_value": "double",
    "srm_chi_square": "double",
    "srm_p_value": "double",
    "srm_passed": "boolean",
    "is_significant": "boolean",
    "is_interim": "boolean",
    "verdict": "varchar",
}
# What each column means, shown with the column schema in the UI.
RESULTS_DESCRIPTIONS = {
    "experiment_id": "The experiment.",
    "variant": "The variant; the control's row carries its statistics and no comparison.",
    "is_control": "Whether the variant is the experiment's control.",
    "metric_type": "conversion (0/1 outcomes: the mean is a rate) or mean (values).",
    "assigned_users": "Users assigned to the variant (the sample-ratio check's observed count).",
    "expected_users": "Users the planned split expects: planned share x the experiment's "
    "assigned users.",
    "users": "Assigned users whose primary metric has been observed (the analysed users).",
    "mean": "Conversion rate (0-1) or mean of the primary metric over the analysed users.",
    "absolute_difference": "mean - the control's mean, in the metric's unit.",
    "absolute_difference_ci_lower": "Lower bound of the absolute difference's two-sided "
    "{experiments_confidence:.0%} interval (Welch).",
    "absolute_difference_ci_upper": "Upper bound of that interval.",
    "relative_lift": "(mean - control mean) / control mean, a fraction (0.1 = +10 %).",
    "relative_lift_ci_lower": "Lower bound of the relative lift's two-sided "
    "{experiments_confidence:.0%} interval: lift - t(1 - alpha/2, welch_df) x its standard "
    "error.",
    "relative_lift_ci_upper": "Upper bound of that interval.",
    "relative_lift_std_error": "Standard error of the relative lift by the delta method: "
    "sqrt(var_t / (n_t m_c^2) + var_c m_t^2 / (n_c m_c^4)).",
    "welch_df": "Welch-Satterthwaite degrees of freedom: (var_t/n_t + var_c/n_c)^2 / "
    "((var_t/n_t)^2/(n_t - 1) + (var_c/n_c)^2/(n_c - 1)).",
    "t_statistic": "relative_lift / relative_lift_std_error.",
    "p_value": "Two-sided p-value of t_statistic on welch_df degrees of freedom.",
    "srm_chi_square": "The experiment's chi-square of assigned users against the planned split "
    "(variants - 1 degrees of freedom); the same on each of its rows.",
    "srm_p_value": "Its p-value; below {experiments_srm_p_threshold} the split is a "
    "sample-ratio mismatch.",
    "srm_passed": "Whether srm_p_value is at least {experiments_srm_p_threshold}; NULL before "
    "anyone is assigned.",
    "is_significant": "Whether the split passed and the lift's interval excludes zero (alpha "
    "{experiments_alpha}); NULL on the control's row.",
    "is_interim": "Whether the experiment is still running: its result is interim, not a "
    "decision (peeking inflates false positives).",
    "verdict": "control, better, worse, no significant difference, invalid: sample-ratio "
    "mismatch, or not computable; prefixed 'interim: ' while running.",
}
FRACTIONS = (
    "relative_lift",
    "relative_lift_ci_lower",
    "relative_lift_ci_upper",
    "relative_lift_std_error",
)


@dataclass(frozen=True)
class Sample:
    """One variant's sufficient statistics: users, sum and sum of squares of their outcomes."""

    users: int
    total: float
    total_squares: float
    is_proportion: bool

    @property
    def mean(self) -> float:
        return self.total / self.users

    @property
    def variance(self) -> float:
        """A conversion's Bernoulli variance p(1 - p), as gbstats takes it; a mean metric's
        sample variance (n - 1 in the denominator)."""
        if self.is_proportion:
            return self.mean * (1 - self.mean)
        return (self.total_squares - self.total**2 / self.users) / (self.users - 1)


@dataclass(frozen=True)
class Comparison:
    """A treatment against its control: the absolute and relative effect with their intervals."""

    absolute_difference: float
    absolute_ci: tuple[float, float]
    relative_lift: float
    relative_ci: tuple[float, float]
    relative_std_error: float
    welch_df: float
    t_statistic: float
    p_value: float

    def excludes_zero(self) -> bool:
        return self.relative_ci[0] > 0 or self.relative_ci[1] < 0


def compare(control: Sample, treatment: Sample, alpha: float) -> Comparison | None:
    """Welch's two-sided t-test of the relative lift on its delta-method variance (gbstats'
    frequentist engine). None when it cannot be computed: fewer than two users in a variant, a
    control mean of zero, no variance in either, or a relative lift without variance (a
    treatment with no conversions at all: its term and the control's both vanish)."""
    from scipy import stats  # imported here: scipy costs every code-location load a second

    if min(control.users, treatment.users) < 2 or control.mean == 0:
        return None
    m_c, m_t = control.mean, treatment.mean
    share_c = control.variance / control.users  # variance of the control's mean
    share_t = treatment.variance / treatment.users
    if share_c + share_t <= 0:
        return None
    welch_df = (share_t + share_c) ** 2 / (
        share_t**2 / (treatment.users - 1) + share_c**2 / (control.users - 1)
    )
    quantile = float(stats.t.ppf(1 - alpha / 2, welch_df))
    difference = m_t - m_c
    absolute_se = math.sqrt(share_t + share_c)
    lift = difference / m_c
    # delta method for (m_t - m_c) / m_c = m_t / m_c - 1, the means independent
    relative_se = math.sqrt(share_t / m_c**2 + share_c * m_t**2 / m_c**4)
    if relative_se == 0:
        return None
    t_statistic = lift / relative_se
    return Comparison(
        absolute_difference=difference,
        absolute_ci=(difference - quantile * absolute_se, difference + quantile * absolute_se),
        relative_lift=lift,
        relative_ci=(lift - quantile * relative_se, lift + quantile * relative_se),
        relative_std_error=relative_se,
        welch_df=welch_df,
        t_statistic=t_statistic,
        p_value=float(2 * stats.t.sf(abs(t_statistic), welch_df)),
    )


def sample_ratio_mismatch(
    assigned: Sequence[int], planned: Sequence[float]
) -> tuple[list[float], float, float] | None:
    """Expected users per variant, chi-square and p-value of the assigned users against the
    planned split (shares normalised to sum to 1; variants - 1 degrees of freedom). None before
    anyone is assigned."""
    from scipy import stats

    total = sum(assigned)
    if total == 0:
        return None
    shares = np.asarray(planned, dtype=float)
    expected = shares / shares.sum() * total
    statistic, p_value = stats.chisquare(np.asarray(assigned, dtype=float), expected)
    return expected.tolist(), float(statistic), float(p_value)


def _verdict(comparison: Comparison | None, srm_passed: bool | None, interim: bool) -> str:
    if comparison is None:
        found = "not computable"
    elif not srm_passed:
        found = "invalid: sample-ratio mismatch"
    elif comparison.excludes_zero():
        found = "better" if comparison.relative_lift > 0 else "worse"
    else:
        found = "no significant difference"
    return f"interim: {found}" if interim else found


def experiment_results(
    stats: pd.DataFrame, alpha: float, srm_threshold: float
) -> list[dict[str, Any]]:
    """One row per experiment and variant (experiments.variant_stats with is_running): each
    treatment against the experiment's one control. An experiment without exactly one control
    gets its statistics and no comparison."""
    rows: list[dict[str, Any]] = []
    for experiment_id, variants in stats.groupby("experiment_id", sort=True):
        variants = variants.sort_values(["is_control", "variant"], ascending=[False, True])
        interim = bool(variants["is_running"].iloc[0])
        srm = sample_ratio_mismatch(
            [int(n) for n in variants["assigned_users"]], list(variants["planned_share"])
        )
        expected, chi_square, srm_p = srm if srm else ([None] * len(variants), None, None)
        srm_passed = None if srm_p is None else srm_p >= srm_threshold
        controls = variants[variants["is_control"]]
        samples = [
            Sample(
                int(v.users),
                float(v.metric_sum),
                float(v.metric_sum_squares),
                v.metric_type == "conversion",
            )
            for v in variants.itertuples()
        ]
        control = samples[0] if len(controls) == 1 else None
        for sample, expected_users, variant in zip(
            samples, expected, variants.itertuples(), strict=True
        ):
            comparison = None
            if control is not None and not variant.is_control:
                comparison = compare(control, sample, alpha)
            row: dict[str, Any] = {
                "experiment_id": experiment_id,
                "variant": variant.variant,
                "is_control": bool(variant.is_control),
                "metric_type": variant.metric_type,
                "assigned_users": int(variant.assigned_users),
                "expected_users": expected_users,
                "users": sample.users,
                "mean": sample.mean if sample.users else None,
                "srm_chi_square": chi_square,
                "srm_p_value": srm_p,
                "srm_passed": srm_passed,
                "is_interim": interim,
            }
            row |= dict.fromkeys(RESULTS_COLUMNS.keys() - row.keys())
            if variant.is_control:
                row["verdict"] = "control"
            else:
                row["verdict"] = _verdict(comparison, srm_passed, interim)
                row["is_significant"] = bool(srm_passed) and bool(
                    comparison and comparison.excludes_zero()
                )
            if comparison is not None:
                row |= {
                    "absolute_difference": comparison.absolute_difference,
                    "absolute_difference_ci_lower": comparison.absolute_ci[0],
                    "absolute_difference_ci_upper": comparison.absolute_ci[1],
                    "relative_lift": comparison.relative_lift,
                    "relative_lift_ci_lower": comparison.relative_ci[0],
                    "relative_lift_ci_upper": comparison.relative_ci[1],
                    "relative_lift_std_error": comparison.relative_std_error,
                    "welch_df": comparison.welch_df,
                    "t_statistic": comparison.t_statistic,
                    "p_value": comparison.p_value,
                }
            rows.append(row)
    return rows


def lift_chart(results: pd.DataFrame, confidence: float) -> Figure:
    """Each treatment's relative lift with its interval, one line per treatment, experiments
    top to bottom: green or red when significant, grey when not, orange when the split failed
    its sample-ratio check (not readable at all); interim results are marked so."""
    shown = results[~results["is_control"] & results["relative_lift"].notna()]
    figure = Figure(figsize=(7.5, 1.2 + 0.45 * max(len(shown), 1)))
    axes = figure.add_subplot()
    labels = []
    for position, row in enumerate(shown.itertuples()):
        srm_failed = row.srm_passed is not None and not row.srm_passed  # numpy or Python bool
        if srm_failed:
            colour = "tab:orange"
        elif row.is_significant:
            colour = "tab:green" if row.relative_lift > 0 else "tab:red"
        else:
            colour = "tab:gray"
        y = -position
        axes.plot(
            [100 * row.relative_lift_ci_lower, 100 * row.relative_lift_ci_upper],
            [y, y],
            color=colour,
            linewidth=2.5,
        )
        axes.plot(100 * row.relative_lift, y, "o", color=colour)
        notes = [note for flag, note in ((row.is_interim, "interim"), (srm_failed, "SRM")) if flag]
        suffix = f" [{', '.join(notes)}]" if notes else ""
        axes.annotate(
            f"{100 * row.relative_lift:+.1f}%  p={row.p_value:.2g}",
            (100 * row.relative_lift_ci_upper, y),
            xytext=(6, 0),
            textcoords="offset points",
            va="center",
            fontsize=8,
        )
        labels.append(f"{row.experiment_id}\n{row.variant}{suffix}")
    axes.axvline(0, color="black", linewidth=0.8)
    axes.set_yticks([-p for p in range(len(labels))], labels, fontsize=8)
    axes.set_ylim(-len(labels) + 0.5, 0.5)
    axes.xaxis.set_major_formatter(PercentFormatter())
    axes.margins(x=0.25)
    axes.grid(axis="x", alpha=0.3)
    axes.set_xlabel(f"relative lift against control, with its {confidence:.0%} interval")
    axes.set_title(
        "green/red: significant; grey: not; orange: sample-ratio mismatch", loc="left", fontsize=9
    )
    axes.spines[["top", "right"]].set_visible(False)
    return figure


def srm_check(results: pd.DataFrame, threshold: float) -> dg.AssetCheckResult:
    """WARN when an experiment's assigned users stray from its planned split."""
    by_experiment = results.groupby("experiment_id").first()
    flagged = by_experiment[by_experiment["srm_passed"].eq(False)]
    listing = flagged.reset_index()[["experiment_id", "srm_chi_square", "srm_p_value"]]
    return dg.AssetCheckResult(
        check_name=SRM_CHECK,
        passed=flagged.empty,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "experiments_checked": int(by_experiment["srm_passed"].notna().sum()),
            "experiments_with_srm": len(flagged),
            "p_threshold": threshold,
            "flagged": dg.MetadataValue.md(markdown_table(listing)),
        },
    )


def build_results_asset(source: Project) -> dg.AssetsDefinition:
    """Each treatment against its control, the split checked, with the lift picture."""
    settings = source.metric_settings
    # the interval's level follows alpha, so the text quotes it rather than a second setting
    level = {"experiments_confidence": 1 - float(settings["experiments_alpha"])}
    descriptions = {
        name: source.described(text, f"{RESULTS_TABLE}: {name}", level)
        for name, text in RESULTS_DESCRIPTIONS.items()
    }

    @warehouse_asset(
        key=RESULTS_KEY,
        description=source.described(
            "A/B results per experiment and variant (GrowthBook's frequentist engine): each "
            "treatment against the control, relative lift = (mean - control mean) / control "
            "mean with a two-sided Welch t-test on its delta-method variance and its "
            "{experiments_confidence:.0%} interval (alpha {experiments_alpha}, "
            "experiments_alpha), the absolute difference with its interval beside it; "
            "multi-variant experiments compare each treatment with the control, uncorrected "
            "for multiple comparisons. Sample-ratio mismatch: chi-square of assigned users "
            "against the planned split, a WARN check below p = {experiments_srm_p_threshold} "
            "(experiments_srm_p_threshold). A result is significant only when the split passes "
            "and the interval excludes zero; a running experiment's result is interim. Users "
            "are the assigned users whose metric has been observed.",
            RESULTS_KEY.to_user_string(),
            level,
        ),
        owner="Experiment Tracker",
        cadence="biweekly",
        kinds=["python", "scipy"],
        deps=[dg.AssetKey([DOMAIN, "variant_stats"]), dg.AssetKey(["raw", "experiments"])],
        check_specs=[
            dg.AssetCheckSpec(
                SRM_CHECK,
                asset=RESULTS_KEY,
                description=source.described(
                    "Every experiment's assigned users follow its planned split: the "
                    "chi-square p-value is at least {experiments_srm_p_threshold}. A mismatch "
                    "means assignment or logging lost users; its results are not read.",
                    SRM_CHECK,
                ),
            )
        ],
    )
    def experiment_results_asset(
        context: dg.AssetExecutionContext, warehouse: Warehouse
    ) -> dg.MaterializeResult:
        alpha = float(settings["experiments_alpha"])
        threshold = float(settings["experiments_srm_p_threshold"])
        with warehouse.get_connection() as connection:
            stats = connection.execute(
                "select variant_stats.*, experiments.ended_at is null as is_running "
                "from experiments.variant_stats "
                "inner join raw.experiments using (experiment_id)"
            ).df()
            rows = experiment_results(stats, alpha, threshold)
            replace_where(
                connection,
                RESULTS_TABLE,
                [tuple(row[name] for name in RESULTS_COLUMNS) for row in rows],
                where="true",
                columns=RESULTS_COLUMNS,
                rules=TableRules(key=("experiment_id", "variant")),
            )
            metadata = table_metadata(
                connection,
                RESULTS_TABLE,
                preview_sql=f"select * from {RESULTS_TABLE} "
                "order by experiment_id, is_control desc, variant limit 10",
                descriptions=descriptions,
                formats=dict.fromkeys(FRACTIONS, "fraction") | {"mean": "number"},
                first_columns=["experiment_id", "variant", "relative_lift", "verdict"],
            )
        results = pd.DataFrame(rows, columns=list(RESULTS_COLUMNS))
        treatments = results[results["is_control"].eq(False)]  # a bool mask even when empty
        metadata |= {
            "significant_results": int(treatments["is_significant"].eq(True).sum()),
            "experiments_with_srm": int(
                results.groupby("experiment_id")["srm_passed"].first().eq(False).sum()
            ),
        }
        if treatments["relative_lift"].notna().any():
            metadata["lift_chart"] = png_markdown(
                lift_chart(results, 1 - alpha),
                f"Relative lift of each treatment against control with its {1 - alpha:.0%} "
                "interval; interim = still running, SRM = sample-ratio mismatch.",
            )
        context.log.info(f"{RESULTS_TABLE}: {len(rows)} variants")
        return dg.MaterializeResult(
            metadata=metadata, check_results=[srm_check(results, threshold)]
        )

    return experiment_results_asset


def build_assets(source: Project) -> list[dg.AssetsDefinition]:
    return [build_results_asset(source)]
