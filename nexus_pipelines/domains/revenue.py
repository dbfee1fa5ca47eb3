"""Python-computed revenue assets: what SQL alone cannot do.

The revenue tables themselves are SQL (assets/domains/revenue/assets.yaml, sql/revenue/). Here are
the time-series forecasts (statsmodels), the MRR waterfall picture, the channel budget
reallocation with its reasoning in words, and the blocking check that MRR movements add up.
Every asset is monthly-partitioned like the tables it reads and writes a month by deleting and
re-inserting it in one transaction, so a range backfill equals month-by-month runs.
"""

import math
import warnings
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

import dagster as dg
import duckdb
import numpy as np
import pandas as pd
from matplotlib.dates import DateFormatter, MonthLocator
from matplotlib.figure import Figure
from matplotlib.ticker import StrMethodFormatter

from nexus_pipelines.metadata import (
    markdown_table,
    partitioned_result,
    png_markdown,
    table_metadata,
)
from nexus_pipelines.partitions import MONTHLY
from nexus_pipelines.project import Project
from nexus_pipelines.settings import load_settings
from nexus_pipelines.warehouse import TableRules, Warehouse, replace_where, warehouse_asset

CENT = Decimal("0.01")
MOVEMENTS_KEY = dg.AssetKey(["revenue", "mrr_movements"])
MRR_MONTHLY_KEY = dg.AssetKey(["revenue", "mrr_monthly"])
MARGIN_KEY = dg.AssetKey(["revenue", "gross_margin_monthly"])
UNIT_ECONOMICS_KEY = dg.AssetKey(["revenue", "unit_economics"])
FORECASTS_TABLE = "revenue.forecasts"
WATERFALL_TABLE = "revenue.mrr_waterfall"
REALLOCATION_TABLE = "revenue.budget_reallocation"
FORECASTS_COLUMNS = {
    "fitted_through": "date",
    "series": "varchar",
    "horizon": "integer",
    "target_month": "date",
    "forecast": "decimal(18, 2)",
    "lower_bound": "decimal(18, 2)",
    "upper_bound": "decimal(18, 2)",
    "interval_level": "double",
    "history_months": "integer",
}
WATERFALL_COLUMNS = {
    "month": "date",
    "step_order": "integer",
    "step": "varchar",
    "amount": "decimal(18, 2)",
}
REALLOCATION_COLUMNS = {
    "month": "date",
    "channel": "varchar",
    "rank": "integer",
    "spend": "decimal(18, 2)",
    "new_customers": "bigint",
    "cac": "decimal(18, 2)",
    "ltv_to_cac": "double",
    "cac_payback_months": "double",
    "action": "varchar",
    "recommended_shift": "decimal(18, 2)",
    "recommended_next_month_spend": "decimal(18, 2)",
    "reasoning": "varchar",
}
# What each column means, shown with the column schema in the UI.
FORECASTS_DESCRIPTIONS = {
    "fitted_through": "Last month of actuals the model was fitted on (first day).",
    "series": "What is forecast: revenue, or costs (total costs).",
    "horizon": "Months ahead of fitted_through (1 = the month after).",
    "target_month": "First day of the forecast month.",
    "forecast": "Point forecast of the series for target_month (company currency).",
    "lower_bound": "Lower bound of the prediction interval (company currency).",
    "upper_bound": "Upper bound of the prediction interval (company currency).",
    "interval_level": "Coverage of the prediction interval, a fraction (0.8 = 80 %).",
    "history_months": "Months of actuals the fit used, from the first month with revenue.",
}
WATERFALL_DESCRIPTIONS = {
    "month": "First day of the calendar month the bridge explains.",
    "step_order": "Position of the step in the bridge, 1 (starting MRR) to 7 (ending MRR).",
    "step": "starting MRR, new, expansion, reactivation, contraction, churn or ending MRR.",
    "amount": "MRR at the month's start or end, or the movement's amount (contraction and "
    "churn negative), in the company currency.",
}
REALLOCATION_DESCRIPTIONS = {
    "month": "The month whose unit economics are ranked; the plan is for the month after.",
    "channel": "Paid acquisition channel with marketing spend in the month.",
    "rank": "1 = best: higher LTV:CAC first, then shorter CAC payback.",
    "spend": "Marketing spend of the month through the channel (company currency).",
    "new_customers": "Customers of the channel in their first paying month.",
    "cac": "spend / new_customers (company currency per customer); NULL without new customers.",
    "ltv_to_cac": "LTV / CAC of the channel, a ratio; NULL while LTV cannot be valued.",
    "cac_payback_months": "CAC / (ARPA of new customers x gross margin), in months.",
    "action": "increase, decrease or hold next month's spend.",
    "recommended_shift": "Amount to move into (+) or out of (-) the channel's spend next month "
    "(company currency).",
    "recommended_next_month_spend": "spend + recommended_shift (company currency).",
    "reasoning": "Why, in plain words.",
}
WATERFALL_STEPS = (  # step, column of revenue.mrr_monthly
    ("starting MRR", "starting_mrr"),
    ("new", "new_mrr"),
    ("expansion", "expansion_mrr"),
    ("reactivation", "reactivation_mrr"),
    ("contraction", "contraction_mrr"),
    ("churn", "churn_mrr"),
    ("ending MRR", "mrr"),
)


def window_months(window: dg.TimeWindow) -> list[date]:
    """First days of the calendar months in a monthly partition window (end exclusive)."""
    months, month = [], window.start.date().replace(day=1)
    end = window.end.date()
    while month < end:
        months.append(month)
        month = (pd.Timestamp(month) + pd.DateOffset(months=1)).date()
    return months


def replace_months(
    connection: duckdb.DuckDBPyConnection,
    table: str,
    columns: dict[str, str],
    month_column: str,
    window: dg.TimeWindow,
    rows: Sequence[Sequence[Any]],
    key: tuple[str, ...],
) -> None:
    """The window's months replaced by their rows (warehouse.replace_where): idempotent."""
    replace_where(
        connection,
        table,
        rows,
        where=f"{month_column} >= $start and {month_column} < $end",
        params={"start": window.start.date(), "end": window.end.date()},
        columns=columns,
        rules=TableRules(key=key),
    )


# ------------------------------------------------------------------ forecasts
def forecast_series(history: Sequence[float], horizon: int, level: float) -> pd.DataFrame:
    """ETS(A,Ad,N) point forecasts and prediction intervals for the next `horizon` months.

    Additive errors with a damped additive trend and no seasonality: a few dozen monthly points
    cannot estimate a yearly season, and the damped trend keeps a young company's growth from
    being extrapolated without limit. The intervals come from the fitted state-space model."""
    # imported here, not at the top: statsmodels (with scipy) takes over a second to import, which
    # every process loading the code location would pay, the daily run's included
    from statsmodels.tools.sm_exceptions import ConvergenceWarning
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    values = pd.Series(np.asarray(history, dtype=float))  # the model labels rows by index
    model = ETSModel(values, error="add", trend="add", damped_trend=True)
    with warnings.catch_warnings():
        # short series often stop at the iteration limit with a usable fit
        warnings.simplefilter("ignore", ConvergenceWarning)
        fitted = model.fit(disp=False)
    frame = fitted.get_prediction(start=len(values), end=len(values) + horizon - 1).summary_frame(
        alpha=1 - level
    )
    return pd.DataFrame(
        {
            "horizon": range(1, horizon + 1),
            "forecast": frame["mean"].to_numpy(),
            "lower_bound": frame["pi_lower"].to_numpy(),
            "upper_bound": frame["pi_upper"].to_numpy(),
        }
    )


def _money(value: float) -> Decimal:
    return Decimal(str(value)).quantize(CENT)


def _forecast_rows(history: pd.DataFrame, month: date, settings: dict[str, Any]) -> list[tuple]:
    """Rows for the forecast fitted on the months up to and including `month`."""
    horizon = int(settings["revenue_forecast_horizon_months"])
    level = float(settings["revenue_forecast_interval_level"])
    known = history[history["month"] <= month]
    selling = known[known["revenue"] != 0]
    if selling.empty or known["month"].max() != month:
        return []
    # history starts with the first month of revenue: months before it are not data but absence
    # (before the founding or a partial first month), and would read as a collapse to zero
    known = known[known["month"] >= selling["month"].min()]
    if len(known) < int(settings["revenue_forecast_min_months"]):
        return []
    rows = []
    for series, column in (("revenue", "revenue"), ("costs", "total_costs")):
        predicted = forecast_series(known[column].astype(float).tolist(), horizon, level)
        for item in predicted.itertuples():
            target = (pd.Timestamp(month) + pd.DateOffset(months=item.horizon)).date()
            rows.append(
                (
                    month,
                    series,
                    item.horizon,
                    target,
                    _money(item.forecast),
                    _money(item.lower_bound),
                    _money(item.upper_bound),
                    level,
                    len(known),
                )
            )
    return rows


def fan_chart(
    history: pd.DataFrame, forecast: pd.DataFrame, fitted_through: date, currency: str
) -> Figure:
    """Revenue and costs: the actual months the model was fitted on, then the latest forecast
    with its prediction interval, both joined at the last actual month."""
    figure = Figure(figsize=(7, 3.5))
    axes = figure.add_subplot()
    level = f"{forecast['interval_level'].iloc[0]:.0%}"
    for series, column, colour in (
        ("revenue", "revenue", "tab:blue"),
        ("costs", "total_costs", "tab:red"),
    ):
        axes.plot(
            history["month"],
            history[column].astype(float),
            color=colour,
            marker="o",
            markersize=3,
            label=f"{series}, actual",
        )
        ahead = forecast[forecast["series"] == series]
        months = [fitted_through, *ahead["target_month"]]
        last = float(history.loc[history["month"] == fitted_through, column].iloc[0])
        axes.plot(
            months,
            [last, *ahead["forecast"].astype(float)],
            "--",
            color=colour,
            label=f"{series}, forecast ({level} interval)",
        )
        axes.fill_between(
            months,
            [last, *ahead["lower_bound"].astype(float)],
            [last, *ahead["upper_bound"].astype(float)],
            color=colour,
            alpha=0.2,
        )
    axes.axvline(fitted_through, color="gray", linestyle=":", linewidth=1)
    axes.set_title(f"Revenue and costs, forecast fitted through {fitted_through:%Y-%m}", loc="left")
    axes.set_xlabel("month")
    axes.set_ylabel(f"per month ({currency})")
    axes.xaxis.set_major_locator(MonthLocator(bymonth=(1, 7)))
    axes.xaxis.set_minor_locator(MonthLocator())
    axes.xaxis.set_major_formatter(DateFormatter("%Y-%m"))
    axes.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    axes.set_ylim(bottom=0)
    axes.grid(alpha=0.3)
    axes.spines[["top", "right"]].set_visible(False)
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncols=2, fontsize=8, frameon=False)
    return figure


def build_forecasts_asset(source: Project) -> dg.AssetsDefinition:
    """Monthly revenue and cost forecasts, fitted with the settings of `source`."""

    @warehouse_asset(
        key=["revenue", "forecasts"],
        description=source.described(
            "{revenue_forecast_horizon_months}-month rolling forecasts of monthly revenue and "
            "total costs, re-fitted every month: one row per month fitted through, series and "
            "horizon (1-{revenue_forecast_horizon_months} months ahead, "
            "revenue_forecast_horizon_months) with the point forecast and the prediction "
            "interval (level {revenue_forecast_interval_level:.0%}, "
            "revenue_forecast_interval_level). Model: statsmodels ETS with additive errors and a "
            "damped additive trend, fitted on every month from the first with revenue up to the "
            "fitted month (at least {revenue_forecast_min_months}, revenue_forecast_min_months). "
            "The fan chart shows the latest fit.",
            "revenue/forecasts",
        ),
        owner="Finance Tracker",
        cadence="monthly",
        kinds=["python"],
        deps=[MARGIN_KEY],
        partitions_def=MONTHLY,
    )
    def forecasts(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
        window = context.partition_time_window
        settings = source.metric_settings
        with warehouse.get_connection() as connection:
            history = connection.execute(
                "select month, revenue, total_costs from revenue.gross_margin_monthly "
                "where month < $end order by month",
                {"end": window.end.date()},
            ).df()
            history["month"] = pd.to_datetime(history["month"]).dt.date
            rows = [
                row
                for month in window_months(window)
                for row in _forecast_rows(history, month, settings)
            ]
            replace_months(
                connection,
                FORECASTS_TABLE,
                FORECASTS_COLUMNS,
                "fitted_through",
                window,
                rows,
                ("fitted_through", "series", "horizon"),
            )
            metadata = table_metadata(
                connection,
                FORECASTS_TABLE,
                preview_sql=f"select * from {FORECASTS_TABLE} "
                "order by fitted_through desc, series, horizon limit 10",
                descriptions=FORECASTS_DESCRIPTIONS,
            )
        produced = pd.DataFrame(rows, columns=list(FORECASTS_COLUMNS))
        own: dict[str, dict[str, Any]] = {}
        for month in window_months(window):
            fit = produced[produced["fitted_through"] == month]
            own[month.isoformat()] = {"dagster/row_count": len(fit)}
            if len(fit):
                next_month = fit[fit["horizon"] == 1].set_index("series")["forecast"]
                own[month.isoformat()] |= {
                    "revenue_forecast_next_month": float(next_month["revenue"]),
                    "costs_forecast_next_month": float(next_month["costs"]),
                }
        if rows:
            fitted_through = produced["fitted_through"].max()
            latest = produced[produced["fitted_through"] == fitted_through]
            fitted_on = int(latest["history_months"].iloc[0])
            shown = history[history["month"] <= fitted_through].tail(fitted_on)
            currency = load_settings().currency
            metadata["fan_chart"] = png_markdown(
                fan_chart(shown, latest, fitted_through, currency),
                f"Forecast fan chart: revenue and costs in {currency}, actual through "
                f"{fitted_through:%Y-%m}, then forecast with "
                f"{latest['interval_level'].iloc[0]:.0%} prediction intervals.",
            )
        return partitioned_result(context, own, metadata, {"run_rows_written": len(rows)})

    # ------------------------------------------------------------------ MRR waterfall

    return forecasts


def waterfall_chart(steps: pd.DataFrame, month: date, currency: str) -> Figure:
    """Starting MRR, each movement as a bar floating at the running total, ending MRR.

    The y axis starts a little below the lowest running total, not at 0: a month's movements are
    a few percent of its MRR and would be slivers on an axis from 0. The start and end bars run
    off the bottom of the axis, which says where it starts."""
    amounts = steps["amount"].astype(float).tolist()
    last = len(amounts) - 1
    bottoms, tops, level = [], [], amounts[0]
    for index, amount in enumerate(amounts):
        if index in (0, last):
            bottoms.append(0.0)
            tops.append(amount)
            level = amount
        else:
            bottoms.append(min(level, level + amount))
            tops.append(max(level, level + amount))
            level += amount
    low, high = min(amounts[0], amounts[last], *bottoms[1:last]), max(tops)
    pad = max(0.25 * (high - low), 0.01 * abs(high), 1.0)
    step = 10 ** math.floor(math.log10(pad))  # a round number to start from
    floor = math.floor((low - pad) / step) * step if low - pad > 0 or low < 0 else 0.0
    figure = Figure(figsize=(8, 3.5))
    axes = figure.add_subplot()
    colours = [
        "tab:gray" if index in (0, last) else "tab:green" if amount >= 0 else "tab:red"
        for index, amount in enumerate(amounts)
    ]
    positions = range(len(amounts))
    axes.bar(
        positions,
        [t - b for b, t in zip(bottoms, tops, strict=True)],
        bottom=bottoms,
        color=colours,
    )
    for index in range(last):  # the running total carried from each bar to the next
        carried = tops[index] if index == 0 or amounts[index] >= 0 else bottoms[index]
        axes.plot([index + 0.4, index + 0.6], [carried, carried], color="black", linewidth=0.6)
    for index, amount in enumerate(amounts):
        axes.annotate(
            f"{amount:,.0f} {currency}" if index in (0, last) else f"{amount:+,.0f} {currency}",
            (index, tops[index]),
            xytext=(0, 3),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=9,
        )
    axes.set_xticks(
        positions, [step.replace(" MRR", "\nMRR") for step in steps["step"]], fontsize=9
    )
    axes.set_ylim(floor, high + pad)
    axes.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    axes.set_ylabel(f"MRR ({currency})")
    axes.set_title(f"MRR movements, {month:%B %Y}", loc="left")
    if floor > 0:
        axes.set_title(f"axis starts at {floor:,.0f} {currency}, not 0", loc="right", fontsize=8)
    axes.spines[["top", "right"]].set_visible(False)
    return figure


@warehouse_asset(
    key=["revenue", "mrr_waterfall"],
    description=(
        "The MRR bridge per month: starting MRR, new, expansion, reactivation, contraction, churn "
        "and ending MRR as rows in that order (contraction and churn negative), from "
        "revenue.mrr_monthly; the steps between the first and last add up to the difference. The "
        "waterfall picture shows the latest month of the run."
    ),
    owner="Finance Tracker",
    cadence="monthly",
    kinds=["python"],
    deps=[MRR_MONTHLY_KEY],
    partitions_def=MONTHLY,
)
def mrr_waterfall(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
    window = context.partition_time_window
    columns = ", ".join(column for _, column in WATERFALL_STEPS)
    with warehouse.get_connection() as connection:
        months = connection.execute(
            f"select month, {columns} from revenue.mrr_monthly "
            "where month >= $start and month < $end order by month",
            {"start": window.start.date(), "end": window.end.date()},
        ).fetchall()
        rows = [
            (month, order, step, values[order - 1])
            for month, *values in months
            for order, (step, _) in enumerate(WATERFALL_STEPS, start=1)
        ]
        replace_months(
            connection, WATERFALL_TABLE, WATERFALL_COLUMNS, "month", window, rows, ("month", "step")
        )
        metadata = table_metadata(
            connection,
            WATERFALL_TABLE,
            preview_sql=f"select * from {WATERFALL_TABLE} order by month desc, step_order limit 7",
            descriptions=WATERFALL_DESCRIPTIONS,
        )
    metadata["run_rows_written"] = len(rows)
    if months:
        month, *values = months[-1]
        steps = pd.DataFrame(
            {"step": [step for step, _ in WATERFALL_STEPS], "amount": [float(v) for v in values]}
        )
        currency = load_settings().currency
        metadata["waterfall"] = png_markdown(
            waterfall_chart(steps, month, currency),
            f"MRR waterfall for {month:%B %Y}, in {currency}.",
        )
        metadata["ending_mrr"] = float(values[-1])
        metadata["net_new_mrr"] = float(values[-1] - values[0])
    return dg.MaterializeResult(metadata=metadata)


@dg.asset_check(
    asset=MOVEMENTS_KEY,
    name="movements_add_up",
    description=(
        "Last month's MRR plus this month's movements equals this month's MRR: on every row "
        "(previous_mrr + new + expansion + contraction + churn + reactivation = mrr), and between "
        "months (a month's starting MRR is the previous month's ending MRR, wherever both months "
        "are in the table). Blocking: nothing downstream runs on movements that do not add up."
    ),
    blocking=True,
    pool="duckdb",
)
def movements_add_up(warehouse: Warehouse) -> dg.AssetCheckResult:
    with warehouse.get_connection(read_only=True) as connection:
        bad_rows = connection.execute(
            "select count(*) from revenue.mrr_movements where previous_mrr + new_mrr "
            "+ expansion_mrr + contraction_mrr + churn_mrr + reactivation_mrr <> mrr"
        ).fetchone()
        bad_months = connection.execute(
            """
            with totals as (
                select month, sum(previous_mrr) as starting, sum(mrr) as ending
                from revenue.mrr_movements group by month
            )
            select count(*) from totals as this
            inner join totals as last on last.month = (this.month - interval 1 month)::date
            where this.starting <> last.ending
            """
        ).fetchone()
        months = connection.execute(
            "select count(distinct month) from revenue.mrr_movements"
        ).fetchone()
    rows_off, months_off = int(bad_rows[0]), int(bad_months[0])
    return dg.AssetCheckResult(
        passed=rows_off == 0 and months_off == 0,
        metadata={
            "rows_not_adding_up": rows_off,
            "months_not_following_on": months_off,
            "months_checked": int(months[0]),
        },
    )


# ------------------------------------------------------------------ budget reallocation
def reallocate(channels: pd.DataFrame, target: float, share: Decimal) -> pd.DataFrame:
    """Rank paid channels and move `share` of next month's spend from weak to strong ones.

    Ranked by LTV:CAC (higher first), then payback months (shorter first); a channel with spend
    but no new customer ranks last. A channel below the LTV:CAC target, or with spend but no
    customer, gives `share` of its spend; channels at or above target receive the pool in
    proportion to the lifetime value they acquired, spend x LTV:CAC (scale what works, by how
    much and how well). When every valued channel clears the
    target, the weakest of them gives instead, so the budget still tilts toward the best returns.
    With nowhere good to send it, the money is saved. A channel whose LTV cannot be valued yet
    (no churn in the trailing window) is held, not judged."""
    ranked = channels.sort_values(
        ["ltv_to_cac", "cac_payback_months", "channel"],
        ascending=[False, True, True],
        na_position="last",
    ).reset_index(drop=True)
    no_customers = ranked["new_customers"] == 0
    valued = ranked["ltv_to_cac"].notna()
    donor = no_customers | (valued & (ranked["ltv_to_cac"] < target))
    recipient = valued & (ranked["ltv_to_cac"] >= target)
    # every channel clears the target: still tilt next month toward the better returns
    rebalancing = not donor.any() and recipient.sum() >= 2
    if rebalancing:
        weakest = recipient[recipient].index[-1]
        donor[weakest], recipient[weakest] = True, False
    gives = [
        spend * share if is_donor else Decimal(0)
        for spend, is_donor in zip(ranked["spend"], donor, strict=True)
    ]
    pool = sum(gives, Decimal(0))
    # a recipient's weight is the lifetime value it acquired (spend x LTV:CAC = LTV x customers)
    weight = [
        spend * Decimal(str(ratio)) if is_recipient else Decimal(0)
        for spend, ratio, is_recipient in zip(
            ranked["spend"], ranked["ltv_to_cac"], recipient, strict=True
        )
    ]
    receiving = sum(weight, Decimal(0))
    shifts, actions, reasons = [], [], []
    for row, gives_now, is_donor, is_recipient, weight_now in zip(
        ranked.itertuples(), gives, donor, recipient, weight, strict=True
    ):
        if is_donor:
            shift = -gives_now
            action = "decrease"
            if row.new_customers == 0:
                why = f"spent {row.spend:,.2f} and won no new paying customer"
            elif rebalancing:
                why = (
                    f"has the lowest LTV:CAC of the channels ({row.ltv_to_cac:.2f}); all clear "
                    f"the target of {target:g}, so the weakest funds the stronger ones"
                )
            else:
                why = f"LTV:CAC is {row.ltv_to_cac:.2f}, below the target of {target:g}"
            where = (
                "moved to the channels that return more"
                if receiving
                else "saved: no channel is above target"
            )
            reason = f"Cut {share:.0%} of spend ({gives_now:,.2f}, {where}): it {why}."
        elif is_recipient and receiving:
            shift = pool * weight_now / receiving
            action = "increase" if shift else "hold"
            payback = (
                f" and pays back CAC in {row.cac_payback_months:.1f} months"
                if pd.notna(row.cac_payback_months)
                else ""
            )
            reason = (
                f"LTV:CAC is {row.ltv_to_cac:.2f}, at or above the target of {target:g}{payback}: "
                f"it receives {shift:,.2f} of the {pool:,.2f} moved from the weaker channels, in "
                "proportion to the lifetime value it acquired (spend x LTV:CAC)."
                if shift
                else f"LTV:CAC is {row.ltv_to_cac:.2f}, at or above target; no weaker channel "
                "gives budget this month, so spend stays as it is."
            )
        else:
            shift, action = Decimal(0), "hold"
            reason = (
                "No churn among its customers in the trailing window, so LTV (and LTV:CAC) cannot "
                "be valued yet: spend stays as it is until there is evidence either way."
            )
        shifts.append(shift.quantize(CENT))
        actions.append(action)
        reasons.append(reason)
    ranked["rank"] = range(1, len(ranked) + 1)
    ranked["action"] = actions
    ranked["recommended_shift"] = shifts
    ranked["recommended_next_month_spend"] = [
        (spend + shift).quantize(CENT) for spend, shift in zip(ranked["spend"], shifts, strict=True)
    ]
    ranked["reasoning"] = reasons
    return ranked


def build_reallocation_asset(source: Project) -> dg.AssetsDefinition:
    """Next month's channel budget plan, by the settings' LTV:CAC target and share."""

    @warehouse_asset(
        key=["revenue", "budget_reallocation"],
        description=source.described(
            "Channel budget reallocation (Growth Hacker): one row per month and paid "
            "acquisition channel (spend > 0), ranked by LTV:CAC (higher first) then CAC payback "
            "(shorter first), with a recommended shift of next month's spend and the reasoning "
            "in plain words. Channels below the LTV:CAC target "
            "({revenue_reallocation_ltv_to_cac_target:g}, revenue_reallocation_ltv_to_cac_target) "
            "or with spend but no new customers give {revenue_reallocation_share:.0%} "
            "(revenue_reallocation_share) of their spend to the channels at or above target, in "
            "proportion to the lifetime value each acquired (spend x LTV:CAC). When all clear the "
            "target, the weakest gives instead.",
            "revenue/budget_reallocation",
        ),
        owner="Growth Hacker",
        cadence="monthly",
        kinds=["python"],
        deps=[UNIT_ECONOMICS_KEY],
        partitions_def=MONTHLY,
    )
    def budget_reallocation(
        context: dg.AssetExecutionContext, warehouse: Warehouse
    ) -> dg.MaterializeResult:
        window = context.partition_time_window
        settings = source.metric_settings
        target = float(settings["revenue_reallocation_ltv_to_cac_target"])
        share = Decimal(str(settings["revenue_reallocation_share"]))
        with warehouse.get_connection() as connection:
            cursor = connection.execute(
                "select month, channel, spend, new_customers, cac, ltv_to_cac, cac_payback_months "
                "from revenue.unit_economics where channel <> 'blended' and spend > 0 "
                "and month >= $start and month < $end order by month, channel",
                {"start": window.start.date(), "end": window.end.date()},
            )
            found = pd.DataFrame(cursor.fetchall(), columns=[c[0] for c in cursor.description])
            plans = [reallocate(group, target, share) for _, group in found.groupby("month")]
            plan = pd.concat(plans) if plans else pd.DataFrame(columns=list(REALLOCATION_COLUMNS))
            plan = plan[list(REALLOCATION_COLUMNS)].astype(object).where(plan.notna(), None)
            rows = list(plan.itertuples(index=False, name=None))
            replace_months(
                connection,
                REALLOCATION_TABLE,
                REALLOCATION_COLUMNS,
                "month",
                window,
                rows,
                ("month", "channel"),
            )
            metadata = table_metadata(
                connection,
                REALLOCATION_TABLE,
                preview_sql=f"select * from {REALLOCATION_TABLE} "
                "order by month desc, rank limit 10",
                descriptions=REALLOCATION_DESCRIPTIONS,
            )
        own: dict[str, dict[str, Any]] = {
            month.isoformat(): {"dagster/row_count": 0} for month in window_months(window)
        }
        for month_plan in plans:
            own[month_plan["month"].iloc[0].isoformat()] = {
                "dagster/row_count": len(month_plan),
                "budget_shifted": float(
                    sum((s for s in month_plan["recommended_shift"] if s > 0), Decimal(0))
                ),
                "channels_below_target": int((month_plan["action"] == "decrease").sum()),
            }
        if plans:
            latest = plans[-1]
            metadata["recommendation"] = dg.MetadataValue.md(
                f"Next month's spend after {latest['month'].iloc[0]:%B %Y}:\n\n"
                + markdown_table(latest[["rank", "channel", "ltv_to_cac", "action", "reasoning"]])
            )
        return partitioned_result(context, own, metadata, {"run_rows_written": len(rows)})

    return budget_reallocation


def build_assets(source: Project) -> list[dg.AssetsDefinition]:
    return [
        build_forecasts_asset(source),
        mrr_waterfall,
        movements_add_up,
        build_reallocation_asset(source),
    ]
