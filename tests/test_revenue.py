"""Revenue, unit economics, costs and forecasts (issue #4) on a small company worked by hand.

Customers (user = customer; channel, segment, product), months of 2025, amounts in EUR:
  c1 paid_search smb core: pro 49 active 01-10..03-05, business 149 03-05..05-20 (upgrade),
     starter 19 from 05-20 (downgrade).
  c2 paid_search self_serve core: starter 19 active 01-15..02-10, canceled 02-10..02-20 (no MRR),
     pro 49 active again from 04-03 (reactivation after two months at zero).
  c3 referral self_serve insights: starter 19 trialing 01-20..02-03 (no MRR), active from 02-03.
  c4 organic enterprise core: business on an annual plan, 1490 a year = 124.17 a month, from 02-14.
  c5 paid_social self_serve lite: pro trial 03-01..03-15 that never paid, then free (0).
MRR at month end (the last instant of the month):
  Jan c1 49 + c2 19 = 68                  new 68
  Feb c1 49 + c3 19 + c4 124.17 = 192.17  new 143.17 (c3, c4), churn -19 (c2): 68 + 143.17 - 19
  Mar 149 + 19 + 124.17 = 292.17          expansion +100 (c1 upgrade)
  Apr 292.17 + c2 49 = 341.17             reactivation +49 (c2)
  May 19 + 49 + 19 + 124.17 = 211.17      contraction -130 (c1 downgrade)
  Jun 211.17                              no movement
Customer churn rate: Feb 1/2 = 0.5 (two paying customers at the start, c2 churned); Mar-Jun 0.
Invoices (tax excluded; refunds negative): Jan 49 + 19 = 68; Feb 49 + 19 + 1490 - 19 (c2 refund)
  = 1539; Mar 149 + 19 = 168; Apr 149 + 49 + 19 = 217; May 19 + 49 + 19 + 250 one-off = 337;
  Jun 19 + 49 + 19 = 87.
Costs every month: infrastructure 20 (core), team 100 and tools 10 (shared); marketing spend
  Jan paid_search 300, social 50, no channel 30; Feb paid_search 100, social 50, referral 20;
  Mar-Jun paid_search 60. raw.costs carries the same marketing totals (380, 170, 60...).
"""

import csv
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest
from matplotlib.figure import Figure
from pictures import decoded_png, twice_the_old_size

from nexus_pipelines.contract import load_contract
from nexus_pipelines.domains import revenue
from nexus_pipelines.ingest import ingest_files
from nexus_pipelines.project import project
from nexus_pipelines.scorecard import compute_scorecard
from nexus_pipelines.sql_assets import build_sql_asset, load_declarations, write_window
from nexus_pipelines.warehouse import Warehouse

MONTHS = ["2025-01-01", "2025-02-01", "2025-03-01", "2025-04-01", "2025-05-01", "2025-06-01"]
USERS = [
    (1, "paid_search", "smb", "core"),
    (2, "paid_search", "self_serve", "core"),
    (3, "referral", "self_serve", "insights"),
    (4, "organic", "enterprise", "core"),
    (5, "paid_social", "self_serve", "lite"),
]
PERIODS = [  # customer, plan, interval, monthly amount, status, start, end
    (1, "pro", "month", "49.00", "active", "2025-01-10", "2025-03-05"),
    (1, "business", "month", "149.00", "active", "2025-03-05", "2025-05-20"),
    (1, "starter", "month", "19.00", "active", "2025-05-20", None),
    (2, "starter", "month", "19.00", "active", "2025-01-15", "2025-02-10"),
    (2, "starter", "month", "19.00", "canceled", "2025-02-10", "2025-02-20"),
    (2, "pro", "month", "49.00", "active", "2025-04-03", None),
    (3, "starter", "month", "19.00", "trialing", "2025-01-20", "2025-02-03"),
    (3, "starter", "month", "19.00", "active", "2025-02-03", None),
    (4, "business", "year", "124.17", "active", "2025-02-14", None),
    (5, "pro", "month", "49.00", "trialing", "2025-03-01", "2025-03-15"),
    (5, "free", "month", "0.00", "active", "2025-03-15", None),
]
INVOICES = [  # customer, issued, kind, amount, tax
    (1, "2025-01-10", "subscription", "49.00", "9.80"),
    (2, "2025-01-15", "subscription", "19.00", "3.80"),
    (1, "2025-02-10", "subscription", "49.00", "9.80"),
    (3, "2025-02-03", "subscription", "19.00", "0"),
    (4, "2025-02-14", "subscription", "1490.00", "283.10"),
    (2, "2025-02-12", "refund", "19.00", "3.80"),
    (1, "2025-03-05", "subscription", "149.00", "29.80"),
    (3, "2025-03-03", "subscription", "19.00", "0"),
    (1, "2025-04-05", "subscription", "149.00", "29.80"),
    (2, "2025-04-03", "subscription", "49.00", "9.80"),
    (3, "2025-04-03", "subscription", "19.00", "0"),
    (1, "2025-05-20", "subscription", "19.00", "3.80"),
    (2, "2025-05-03", "subscription", "49.00", "9.80"),
    (3, "2025-05-03", "subscription", "19.00", "0"),
    (4, "2025-05-08", "one_off", "250.00", "50.00"),
    (1, "2025-06-20", "subscription", "19.00", "3.80"),
    (2, "2025-06-03", "subscription", "49.00", "9.80"),
    (3, "2025-06-03", "subscription", "19.00", "0"),
]
SPEND = {  # month: [(channel, amount)]
    "2025-01": [
        ("paid_search", "200.00"),
        ("paid_search", "100.00"),
        ("social", "50.00"),
        (None, "30.00"),
    ],
    "2025-02": [("paid_search", "100.00"), ("social", "50.00"), ("referral", "20.00")],
    **{f"2025-0{m}": [("paid_search", "60.00")] for m in range(3, 7)},
}
BUDGETS = [
    ("2025-01-01", "infrastructure", "25.00"),
    ("2025-01-01", "team", "90.00"),
    ("2025-01-01", "tools", "10.00"),
    ("2025-01-01", "marketing", "400.00"),
]


def load_company(warehouse: Warehouse) -> None:
    with warehouse.get_connection() as connection:
        for table in load_contract().values():
            connection.execute(table.ddl())
        connection.execute("create schema if not exists revenue")
        for user_id, channel, segment, product in USERS:
            connection.execute(
                "insert into raw.users values ($1, '2025-01-05', $2, null, 'free', $3, 'DE', $4)",
                [user_id, channel, segment, product],
            )
        for number, (customer, plan, interval, amount, status, start, end) in enumerate(PERIODS):
            connection.execute(
                "insert into raw.subscription_periods values ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                [
                    f"p{number}",
                    f"s{customer}",
                    customer,
                    plan,
                    interval,
                    amount,
                    status,
                    start,
                    end,
                ],
            )
        for number, (customer, issued, kind, amount, tax) in enumerate(INVOICES):
            connection.execute(
                "insert into raw.invoices values ($1, $2, $3, $4, $5, $6)",
                [f"i{number}", customer, f"{issued} 12:00:00+00", kind, amount, tax],
            )
        number = 0
        for month, lines in SPEND.items():
            for channel, amount in lines:
                number += 1
                connection.execute(
                    "insert into raw.marketing_spend values ($1, $2, $3, null, $4)",
                    [f"sp{number}", f"{month}-10", channel, amount],
                )
            total = sum(Decimal(amount) for _, amount in lines)
            for category, vendor, product, amount in (
                ("infrastructure", "aws", "core", Decimal("20.00")),
                ("team", "payroll", None, Decimal("100.00")),
                ("tools", "slack", None, Decimal("10.00")),
                ("marketing", "agencies", None, total),
            ):
                connection.execute(
                    "insert into raw.costs values ($1, $2, $3, $4, $5, $6)",
                    [f"{month}-{category}", f"{month}-01", category, vendor, product, amount],
                )
        for month, category, amount in BUDGETS:
            connection.execute(
                "insert into raw.budgets values ($1, $2, $3)", [month, category, amount]
            )
        connection.execute(
            "insert into raw.cash_balances "
            "values ('2025-01-01', 10000.00), ('2025-07-01', 12000.00)"
        )


def revenue_assets() -> list:
    declared = [build_sql_asset(d) for d in load_declarations() if d.domain == "revenue"]
    return [*declared, *revenue.build_assets(project())]


def materialize_months(warehouse: Warehouse, first: str, last: str) -> dg.ExecuteInProcessResult:
    result = dg.materialize(
        revenue_assets(),
        resources={"warehouse": warehouse},
        tags={
            "dagster/asset_partition_range_start": first,
            "dagster/asset_partition_range_end": last,
        },
    )
    assert result.success
    checks = result.get_asset_check_evaluations()
    assert {check.check_name for check in checks} >= {"movements_add_up", "write_rules"}
    assert all(check.passed for check in checks)
    return result


def rows(warehouse: Warehouse, sql: str) -> list[tuple]:
    with warehouse.get_connection(read_only=True) as connection:
        return connection.execute(sql).fetchall()


def use_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **changes) -> None:
    """Use the project's metric settings with some revenue settings changed."""
    for name, value in changes.items():
        monkeypatch.setitem(project().metric_settings, name, value)


@pytest.fixture(scope="module")
def company(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    """The hand-worked company materialised once for the tests that only read it."""
    warehouse = Warehouse(database=str(tmp_path_factory.mktemp("company") / "w.duckdb"))
    load_company(warehouse)
    materialize_months(warehouse, MONTHS[0], MONTHS[-1])
    return warehouse


D = Decimal


def test_mrr_movements_by_hand(company: Warehouse) -> None:
    """The movements of the module docstring, one row per customer and month with MRR at either
    end: upgrade (c1 Mar), downgrade (c1 May), churn (c2 Feb) then reactivation (c2 Apr), an
    annual plan at price/12 (c4), a trial that converts (c3 new in Feb, not Jan), a trial that
    never paid (c5: no row at all)."""
    found = rows(
        company,
        "select month, customer_id, previous_mrr, mrr, movement from revenue.mrr_movements "
        "where movement <> 'retained' order by month, customer_id",
    )
    assert found == [
        (date(2025, 1, 1), 1, D("0"), D("49.00"), "new"),
        (date(2025, 1, 1), 2, D("0"), D("19.00"), "new"),
        (date(2025, 2, 1), 2, D("19.00"), D("0"), "churn"),
        (date(2025, 2, 1), 3, D("0"), D("19.00"), "new"),
        (date(2025, 2, 1), 4, D("0"), D("124.17"), "new"),
        (date(2025, 3, 1), 1, D("49.00"), D("149.00"), "expansion"),
        (date(2025, 4, 1), 2, D("0"), D("49.00"), "reactivation"),
        (date(2025, 5, 1), 1, D("149.00"), D("19.00"), "contraction"),
    ]
    assert rows(company, "select count(*) from revenue.mrr_movements where customer_id = 5") == [
        (0,)
    ]
    assert rows(
        company,
        "select count(*) from revenue.mrr_movements where customer_id = 2 and month = '2025-03-01'",
    ) == [(0,)]


def test_mrr_monthly_rates_by_hand(company: Warehouse) -> None:
    """Feb: churn rate 1/2; gross MRR churn 19/68, net the same (no expansion/reactivation);
    NRR = GRR = (68 - 19)/68. Mar: expansion 100, NRR 292.17/192.17, GRR 1. Apr: net MRR churn
    -49/292.17 (reactivation offsets). May: contraction -130, NRR = GRR = 211.17/341.17."""
    found = {
        row[0].month: row[1:]
        for row in rows(
            company,
            "select month, mrr, arr, paying_customers, arpa, customer_churn_rate, "
            "gross_mrr_churn_rate, net_mrr_churn_rate, nrr, grr, expansion_revenue, "
            "churn_revenue_impact from revenue.mrr_monthly order by month",
        )
    }
    assert [found[m][0] for m in range(1, 7)] == [
        D("68.00"),
        D("192.17"),
        D("292.17"),
        D("341.17"),
        D("211.17"),
        D("211.17"),
    ]
    assert found[2][1] == D("2306.04") and found[2][2] == 3 and found[2][3] == D("64.06")
    assert found[1][4] is None  # no paying customers at the start of January
    assert found[2][4:9] == pytest.approx((0.5, 19 / 68, 19 / 68, 49 / 68, 49 / 68))
    assert found[3][4:9] == pytest.approx((0, 0, -100 / 192.17, 292.17 / 192.17, 1))
    assert found[4][6] == pytest.approx(-49 / 292.17)
    may = (0, 130 / 341.17, 130 / 341.17, 211.17 / 341.17, 211.17 / 341.17)
    assert found[5][4:9] == pytest.approx(may)
    assert (found[3][9], found[2][10], found[5][10]) == (D("100.00"), D("-19.00"), D("-130.00"))


def test_revenue_by_plan_and_segment_uses_the_plan_in_force_at_month_end(
    company: Warehouse,
) -> None:
    """End of May: c1 starter (downgraded 05-20, smb) 19, c2 pro self_serve 49, c3 starter
    self_serve 19, c4 business enterprise 124.17 (annual, price/12)."""
    assert rows(
        company,
        "select plan, segment, customers, mrr from revenue.revenue_by_plan_segment "
        "where month = '2025-05-01' order by plan, segment",
    ) == [
        ("business", "enterprise", 1, D("124.17")),
        ("pro", "self_serve", 1, D("49.00")),
        ("starter", "self_serve", 1, D("19.00")),
        ("starter", "smb", 1, D("19.00")),
    ]


def test_costs_gross_margin_and_refunds(company: Warehouse) -> None:
    """Feb revenue 1539 net of c2's refund of 19, tax excluded; cost of revenue = infrastructure
    20, gross margin 1519/1539; total costs 20 + 100 + 10 + 170 = 300. January's spend with no
    channel is its own marketing line."""
    assert rows(
        company,
        "select revenue, refunds, cost_of_revenue, gross_margin, total_costs, operating_profit "
        "from revenue.gross_margin_monthly where month = '2025-02-01'",
    ) == [
        (
            D("1539.00"),
            D("19.00"),
            D("20.00"),
            pytest.approx(1519 / 1539),
            D("300.00"),
            D("1239.00"),
        )
    ]
    assert rows(
        company,
        "select category, channel, amount from revenue.costs_monthly "
        "where month = '2025-01-01' order by all",
    ) == [
        ("infrastructure", "(none)", D("20.00")),
        ("marketing", "(unattributed)", D("30.00")),
        ("marketing", "paid_search", D("300.00")),
        ("marketing", "social", D("50.00")),
        ("team", "(none)", D("100.00")),
        ("tools", "(none)", D("10.00")),
    ]


def test_cac_ltv_and_payback_by_hand(company: Warehouse) -> None:
    """January: paid_search 300 / 2 new = CAC 150; social spent 50 with no customer: CAC NULL, not
    infinity; blended (with the 30 no channel can claim) 380 / 2 = 190.
    February blended: CAC (100 + 50 + 20) / 2 = 85; ARPA 192.17 / 3; gross margin 1519/1539;
    churn averaged over the months with a rate (Jan has none): 0.5; LTV = ARPA x GM / 0.5;
    payback = 85 / ((143.17 / 2) x GM). Referral in Feb: 20 / 1 = 20, but no referral customer
    has churned yet (Mar: rate 0), so its LTV is NULL from March; organic spends nothing: CAC 0,
    LTV:CAC NULL."""
    found = {
        (row[0].month, row[1]): row[2:]
        for row in rows(
            company,
            "select month, channel, spend, new_customers, cac, ltv, ltv_to_cac, "
            "cac_payback_months from revenue.unit_economics",
        )
    }
    assert found[1, "paid_search"][:3] == (D("300.00"), 2, D("150.00"))
    assert found[1, "social"][:3] == (D("50.00"), 0, None)
    assert found[1, "social"][4] is None
    assert found[1, "blended"][:3] == (D("380.00"), 2, D("190.00"))
    assert (1, "(unattributed)") not in found
    margin = 1519 / 1539
    ltv = (192.17 / 3) * margin / 0.5
    spend, new, cac, found_ltv, ltv_to_cac, payback = found[2, "blended"]
    assert (spend, new, cac) == (D("170.00"), 2, D("85.00"))
    assert float(found_ltv) == pytest.approx(ltv, abs=0.01)
    assert ltv_to_cac == pytest.approx(ltv / 85, rel=1e-3)
    assert payback == pytest.approx(85 / (143.17 / 2 * margin))
    assert found[2, "referral"][:3] == (D("20.00"), 1, D("20.00"))
    assert found[3, "referral"][3] is None  # zero churn: LTV NULL
    assert found[2, "organic"][2] == D("0.00") and found[2, "organic"][4] is None


def test_a_month_with_zero_churn_has_no_ltv(
    warehouse: Warehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With churn averaged over one month only, March's blended churn is 0 / 3 = 0, so LTV and
    LTV:CAC are NULL; February's is 1/2, so LTV = ARPA x GM / 0.5 as before."""
    use_settings(tmp_path, monkeypatch, revenue_ltv_churn_months=1)
    load_company(warehouse)
    materialize_months(warehouse, MONTHS[0], MONTHS[2])
    found = dict(
        rows(warehouse, "select month, ltv from revenue.unit_economics where channel = 'blended'")
    )
    assert found[date(2025, 3, 1)] is None
    assert float(found[date(2025, 2, 1)]) == pytest.approx(192.17 / 3 * 1519 / 1539 / 0.5, abs=0.01)


def test_portfolio_roi_over_the_trailing_quarter(company: Warehouse) -> None:
    """March covers Jan-Mar: revenue 68 + 1539 + 168 = 1775; costs (20 + 100 + 10) x 3 + marketing
    380 + 170 + 60 = 1000; ROI = 77.5%. Core earns 68 + 1520 + 149 = 1737, insights 38; core
    carries its infrastructure 60 plus 940 x 1737/1775 of the shared costs."""
    found = {
        row[0]: row[1:]
        for row in rows(
            company,
            "select product_id, revenue, total_cost, roi_pct from revenue.portfolio_roi "
            "where month = '2025-03-01'",
        )
    }
    assert found["portfolio"] == (D("1775.00"), D("1000.00"), pytest.approx(77.5))
    core_cost = 60 + 940 * 1737 / 1775
    assert found["core"][0] == D("1737.00")
    assert float(found["core"][1]) == pytest.approx(core_cost, abs=0.01)
    assert found["core"][2] == pytest.approx((1737 - core_cost) / core_cost * 100, rel=1e-4)
    assert found["core"][1] + found["insights"][1] == D("1000.00")


def test_budget_variance_marks_under_budget_costs_favourable(company: Warehouse) -> None:
    """January: infrastructure 20 vs 25 (-5, favourable), marketing 380 vs 400 (favourable), team
    100 vs 90 (+10, unfavourable), tools 10 vs 10 (on budget)."""
    assert rows(
        company,
        "select category, variance, assessment from revenue.budget_variance "
        "where month = '2025-01-01' order by category",
    ) == [
        ("infrastructure", D("-5.00"), "favourable"),
        ("marketing", D("-20.00"), "favourable"),
        ("team", D("10.00"), "unfavourable"),
        ("tools", D("0.00"), "on budget"),
    ]


def test_forecasts_record_and_cash_flow(
    warehouse: Warehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a 3-month minimum history, March is the first month fitted; fits through Mar, Apr and
    May have 3 + 2 + 1 horizons whose target month (up to June) has an actual, per series. The
    cash projection fitted through June opens with the 07-01 statement (12000) and adds each
    month's forecast revenue less forecast costs."""
    use_settings(tmp_path, monkeypatch, revenue_forecast_min_months=3)
    load_company(warehouse)
    result = materialize_months(warehouse, MONTHS[0], MONTHS[-1])
    # each month's materialisation tells its own fit: none in Jan and Feb, 3 horizons x 2
    # series from March; the fan chart and the preview on June's alone
    shown = {
        event.partition: event.metadata
        for event in result.asset_materializations_for_node("revenue__forecasts")
    }
    assert {month: m["dagster/row_count"].value for month, m in shown.items()} == dict(
        zip(MONTHS, [0, 0, 6, 6, 6, 6], strict=True)
    )
    assert [month for month, m in shown.items() if "revenue_forecast_next_month" in m] == MONTHS[2:]
    assert [month for month, m in shown.items() if "fan_chart" in m or "preview" in m] == [
        MONTHS[-1]
    ]
    # January's plan (test_reallocation_asset_saves_spend_when_no_channel_is_above_target):
    # two channels, social cut, nothing moved to another channel
    january = next(
        event.metadata
        for event in result.asset_materializations_for_node("revenue__budget_reallocation")
        if event.partition == MONTHS[0]
    )
    assert (
        january["dagster/row_count"].value,
        january["budget_shifted"].value,
        january["channels_below_target"].value,
    ) == (2, 0.0, 1)
    assert "recommendation" not in january
    fitted = rows(warehouse, "select distinct fitted_through from revenue.forecasts order by 1")
    assert [row[0].month for row in fitted] == [3, 4, 5, 6]
    assert rows(
        warehouse,
        "select count(*) from revenue.forecasts where not (lower_bound <= forecast "
        "and forecast <= upper_bound and lower_bound < upper_bound)",
    ) == [(0,)]
    assert rows(
        warehouse,
        "select series, count(*), sum((error = actual - forecast)::int) "
        "from revenue.forecast_vs_actual group by series order by series",
    ) == [("costs", 6, 6), ("revenue", 6, 6)]
    assert rows(
        warehouse,
        "select series, horizon, forecasts_scored from revenue.forecast_error_by_horizon "
        "order by all",
    ) == [
        ("costs", 1, 3),
        ("costs", 2, 2),
        ("costs", 3, 1),
        ("revenue", 1, 3),
        ("revenue", 2, 2),
        ("revenue", 3, 1),
    ]
    forecast = dict(
        ((series, horizon), value)
        for series, horizon, value in rows(
            warehouse,
            "select series, horizon, forecast from revenue.forecasts "
            "where fitted_through = '2025-06-01'",
        )
    )
    closing = rows(
        warehouse,
        "select opening_cash, closing_cash from revenue.cash_flow_projection "
        "where fitted_through = '2025-06-01' order by horizon",
    )
    running = D("12000.00")
    for horizon, (opening, cash) in enumerate(closing, start=1):
        running += forecast["revenue", horizon] - forecast["costs", horizon]
        assert (opening, cash) == (D("12000.00"), running)


def waterfall_steps(*amounts: float) -> pd.DataFrame:
    return pd.DataFrame({"step": [step for step, _ in revenue.WATERFALL_STEPS], "amount": amounts})


def bar_labels(figure: Figure) -> list[str]:
    return [text.get_text() for text in figure.axes[0].texts]


def test_the_waterfall_floats_on_an_axis_from_below_the_lowest_total() -> None:
    """10,000 + 500 new + 200 expansion + 100 reactivation - 50 contraction - 250 churn =
    10,500. Running totals 10,000 .. 10,800: the lowest is 10,000, the span 800; the axis pads a
    quarter of the span (200) and starts at the round hundred below: 9,800, to 11,000."""
    figure = revenue.waterfall_chart(
        waterfall_steps(10000, 500, 200, 100, -50, -250, 10500), date(2025, 4, 1), "EUR"
    )
    axes = figure.axes[0]
    assert axes.get_ylim() == (9800, 11000)
    assert bar_labels(figure) == [
        "10,000 EUR",
        "+500 EUR",
        "+200 EUR",
        "+100 EUR",
        "-50 EUR",
        "-250 EUR",
        "10,500 EUR",
    ]
    # each movement floats at the running total: (bottom, height) of every bar
    assert [(bar.get_y(), bar.get_height()) for bar in axes.patches] == [
        (0, 10000),
        (10000, 500),
        (10500, 200),
        (10700, 100),
        (10750, 50),
        (10500, 250),
        (0, 10500),
    ]
    assert axes.get_ylabel() == "MRR (EUR)"
    assert axes.yaxis.get_major_formatter()(10250) == "10,250"
    assert axes.get_title("right") == "axis starts at 9,800 EUR, not 0"


def test_a_waterfall_whose_totals_come_near_zero_starts_at_zero() -> None:
    """100 + 900 new = 1,000: the lowest total (100) less a quarter of the span (225) is below
    zero, so the axis starts at 0 and says nothing about it."""
    steps = waterfall_steps(100, 900, 0, 0, 0, 0, 1000)
    figure = revenue.waterfall_chart(steps, date(2025, 1, 1), "EUR")
    assert figure.axes[0].get_ylim() == (0, 1225)
    assert figure.axes[0].get_title("right") == ""


def test_the_pictures_of_a_run_float_the_waterfall_and_show_the_forecast_in_the_company_currency(
    warehouse: Warehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The deployment's company settings say USD. April's bridge: 292.17 + 49 reactivation =
    341.17 (no other movement): lowest total 292.17, span 49, pad 12.25, so the axis runs from
    270 (the round ten below 279.92) to 353.42. The fan chart fitted through April (at least 3
    months) draws the actual revenue of January to April (68, 1539, 168, 217) and costs (510,
    300, 190, 190), then the forecast from April's actual."""
    (tmp_path / "company.yaml").write_text("currency: USD\n", encoding="utf-8")
    use_settings(tmp_path, monkeypatch, revenue_forecast_min_months=3)
    drawn: dict[str, Figure] = {}
    for name in ("waterfall_chart", "fan_chart"):
        draw = getattr(revenue, name)
        monkeypatch.setattr(
            revenue, name, lambda *args, name=name, draw=draw: drawn.setdefault(name, draw(*args))
        )
    load_company(warehouse)
    result = materialize_months(warehouse, MONTHS[0], MONTHS[3])
    waterfall = drawn["waterfall_chart"]
    assert waterfall.axes[0].get_ylim() == pytest.approx((270, 353.42))
    assert bar_labels(waterfall) == [
        "292 USD",
        "+0 USD",
        "+0 USD",
        "+49 USD",
        "+0 USD",
        "+0 USD",
        "341 USD",
    ]
    fan = drawn["fan_chart"].axes[0]
    assert fan.get_ylabel() == "per month (USD)"
    lines = {line.get_label(): line for line in fan.get_lines()}
    assert list(lines["revenue, actual"].get_ydata()) == [68, 1539, 168, 217]
    assert list(lines["costs, actual"].get_ydata()) == [510, 300, 190, 190]
    forecast = lines["revenue, forecast (80% interval)"]
    assert (forecast.get_xdata()[0], forecast.get_ydata()[0]) == (date(2025, 4, 1), 217)
    assert len(forecast.get_xdata()) == 4  # April, then 3 months ahead
    recorded = {
        name: result.asset_materializations_for_node(f"revenue__{asset}")[-1].metadata[name].value
        for name, asset in (("waterfall", "mrr_waterfall"), ("fan_chart", "forecasts"))
    }
    assert "MRR waterfall for April 2025, in USD." in recorded["waterfall"]
    assert "revenue and costs in USD" in recorded["fan_chart"]
    assert twice_the_old_size(decoded_png(recorded["waterfall"]), waterfall)
    assert twice_the_old_size(decoded_png(recorded["fan_chart"]), drawn["fan_chart"])


def test_the_forecast_model_follows_a_trend() -> None:
    """A series growing by 10 a month with small noise (100 ... 210) is forecast near 220, 230
    and 240 (a little under: the trend is damped), and the interval widens with the horizon."""
    noise = [0.4, -0.3, 0.2, -0.1, 0.3, -0.4, 0.1, -0.2, 0.2, -0.3, 0.1, 0.0]
    history = [100 + 10 * month + noise[month] for month in range(12)]
    predicted = revenue.forecast_series(history, 3, 0.8)
    assert predicted["forecast"].tolist() == pytest.approx([220, 230, 240], abs=3)
    widths = (predicted["upper_bound"] - predicted["lower_bound"]).tolist()
    assert widths[0] < widths[1] < widths[2]


def test_reallocation_moves_spend_from_weak_to_strong_channels() -> None:
    """Target 3, share 20%: C (LTV:CAC 1.5, spend 200) gives 40 and D (spend 50, no customer) 10;
    the pool of 50 goes to A (5, spend 100) and B (4, spend 300) by spend x LTV:CAC, 500 and
    1200: 50 x 500/1700 = 14.71 and 50 x 1200/1700 = 35.29.
    E (LTV not valued yet) is held. Ranking: A, B, C by LTV:CAC, then E (payback 5 months) and
    last D (spend but no customer: neither ratio)."""
    channels = pd.DataFrame(
        {
            "month": [date(2025, 1, 1)] * 5,
            "channel": ["B", "A", "C", "E", "D"],
            "spend": [D("300"), D("100"), D("200"), D("80"), D("50")],
            "new_customers": [6, 4, 5, 2, 0],
            "cac": [D("50"), D("25"), D("40"), D("40"), None],
            "ltv_to_cac": [4.0, 5.0, 1.5, None, None],
            "cac_payback_months": [6.0, 3.0, 14.0, 5.0, None],
        }
    )
    plan = revenue.reallocate(channels, 3, D("0.2"))
    assert plan[["channel", "rank", "action", "recommended_shift"]].values.tolist() == [
        ["A", 1, "increase", D("14.71")],
        ["B", 2, "increase", D("35.29")],
        ["C", 3, "decrease", D("-40.00")],
        ["E", 4, "hold", D("0.00")],
        ["D", 5, "decrease", D("-10.00")],
    ]
    assert plan["recommended_shift"].sum() == 0
    assert "won no new paying customer" in plan.loc[4, "reasoning"]
    assert "below the target of 3" in plan.loc[2, "reasoning"]


def test_when_every_channel_clears_the_target_the_weakest_funds_the_others() -> None:
    """A (5, spend 100) and B (4, spend 300) both clear 3: B, the weakest, gives 20% = 60 to A."""
    channels = pd.DataFrame(
        {
            "month": [date(2025, 1, 1)] * 2,
            "channel": ["A", "B"],
            "spend": [D("100"), D("300")],
            "new_customers": [4, 6],
            "cac": [D("25"), D("50")],
            "ltv_to_cac": [5.0, 4.0],
            "cac_payback_months": [3.0, 6.0],
        }
    )
    plan = revenue.reallocate(channels, 3, D("0.2"))
    assert plan[["channel", "action", "recommended_next_month_spend"]].values.tolist() == [
        ["A", "increase", D("160.00")],
        ["B", "decrease", D("240.00")],
    ]
    assert "lowest LTV:CAC" in plan.loc[1, "reasoning"]


def test_reallocation_asset_saves_spend_when_no_channel_is_above_target(
    company: Warehouse,
) -> None:
    """January: social spent 50 with no customer and gives 20% (10.00); paid_search's LTV cannot
    be valued (no churn history) so it is held; nowhere to send the money, so it is saved."""
    assert rows(
        company,
        "select channel, action, recommended_shift, recommended_next_month_spend "
        "from revenue.budget_reallocation where month = '2025-01-01' order by rank",
    ) == [
        ("paid_search", "hold", D("0.00"), D("300.00")),
        ("social", "decrease", D("-10.00"), D("40.00")),
    ]


def test_movements_check_fails_when_they_do_not_add_up(warehouse: Warehouse) -> None:
    """One customer's March MRR raised by 1 breaks the row (49 + 100 != 150) and the month
    (March ends 1 higher than April starts)."""
    load_company(warehouse)
    materialize_months(warehouse, MONTHS[0], MONTHS[-1])
    company = warehouse
    with company.get_connection() as connection:
        connection.execute(
            "update revenue.mrr_movements set mrr = mrr + 1 "
            "where customer_id = 1 and month = '2025-03-01'"
        )
    result = revenue.movements_add_up(warehouse=company)
    assert not result.passed
    assert result.metadata["rows_not_adding_up"].value == 1
    assert result.metadata["months_not_following_on"].value == 1


def test_a_range_backfill_equals_materialising_month_by_month(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every revenue table, forecasts included (fitted from 3 months so there are actuals)."""
    use_settings(tmp_path, monkeypatch, revenue_forecast_min_months=3)
    backfilled = Warehouse(database=str(tmp_path / "backfill.duckdb"))
    monthly = Warehouse(database=str(tmp_path / "monthly.duckdb"))
    for target in (backfilled, monthly):
        load_company(target)
    months = MONTHS[:4]
    materialize_months(backfilled, months[0], months[-1])
    materialize_months(monthly, months[2], months[2])  # a month on its own, then all in order
    for month in months:
        materialize_months(monthly, month, month)
    tables = rows(
        backfilled,
        "select table_name from information_schema.tables where table_schema = 'revenue'",
    )
    assert len(tables) == 14
    for (table,) in tables:
        expected = rows(backfilled, f"select * from revenue.{table} order by all")
        assert expected, table
        assert rows(monthly, f"select * from revenue.{table} order by all") == expected, table


def test_mrr_playbook_reference_data(warehouse: Warehouse, tmp_path: Path, project_env) -> None:
    """dbt-labs/mrr-playbook's subscription periods, mapped to the raw contract and ingested.
    By hand (start inclusive, end exclusive, both first of month):
      customer 1: 50 Nov 2018 - Jan 2019 -> new Nov, churn -50 Feb 2019, reactivation 50 Apr,
                  expansion +25 Jun (75), churn -75 Aug.
      customer 5: 50 Nov 2018 (new), 25 Dec (contraction -25), churn -25 Mar 2019,
                  reactivation 50 Jul, contraction -25 Aug, expansion +25 Sep, contraction -25 Oct,
                  expansion +15 Dec (40), churn -40 Jan 2020.
      customer 2: 25 Sep-Oct 2017 -> new Sep 2017, churn -25 Nov 2017.
    """

    source = Path(__file__).parent / "fixtures" / "mrr_playbook"
    landing = project_env.landing_dir
    target = landing / "subscription_periods.csv"
    with (source / "subscription_periods.csv").open() as read, target.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow([column.name for column in load_contract()["subscription_periods"].columns])
        for row in csv.DictReader(read):
            writer.writerow(
                [
                    f"per_{row['subscription_id']}",
                    row["subscription_id"],
                    row["customer_id"],
                    "standard",
                    "month",
                    row["monthly_amount"],
                    "active",
                    f"{row['start_date']}T00:00:00Z",
                    f"{row['end_date']}T00:00:00Z",
                ]
            )
    with warehouse.get_connection() as connection:
        # the data predates the demo company's founding date, which ingestion enforces
        report = ingest_files(
            connection, [target], landing, replace(project_env, founded_on=date(2017, 1, 1))
        )
        assert report.files[0].loaded == 121 and report.files[0].quarantined == 0
        connection.execute("create schema if not exists revenue")
        declaration = next(d for d in load_declarations() if d.name == "mrr_movements")
        write_window(
            connection,
            declaration,
            datetime(2017, 9, 1, tzinfo=UTC),
            datetime(2020, 3, 1, tzinfo=UTC),
        )
    found = rows(
        warehouse,
        "select customer_id, strftime(month, '%Y-%m'), movement, mrr - previous_mrr "
        "from revenue.mrr_movements where customer_id in (1, 2, 5) and movement <> 'retained' "
        "order by customer_id, month",
    )
    assert found == [
        (1, "2018-11", "new", D("50.00")),
        (1, "2019-02", "churn", D("-50.00")),
        (1, "2019-04", "reactivation", D("50.00")),
        (1, "2019-06", "expansion", D("25.00")),
        (1, "2019-08", "churn", D("-75.00")),
        (2, "2017-09", "new", D("25.00")),
        (2, "2017-11", "churn", D("-25.00")),
        (5, "2018-11", "new", D("50.00")),
        (5, "2018-12", "contraction", D("-25.00")),
        (5, "2019-03", "churn", D("-25.00")),
        (5, "2019-07", "reactivation", D("50.00")),
        (5, "2019-08", "contraction", D("-25.00")),
        (5, "2019-09", "expansion", D("25.00")),
        (5, "2019-10", "contraction", D("-25.00")),
        (5, "2019-12", "expansion", D("15.00")),
        (5, "2020-01", "churn", D("-40.00")),
    ]
    assert revenue.movements_add_up(warehouse=warehouse).passed


def test_scorecard_reads_ltv_to_cac_and_portfolio_roi_from_the_revenue_tables(
    company: Warehouse,
) -> None:
    """As of 2025-03-31 the last complete month is March: portfolio ROI 77.5% (see above). As of
    2025-02-28 it is February: blended LTV:CAC as in test_cac_ltv_and_payback_by_hand. In June
    nobody new paid, so CAC and LTV:CAC have no value: no data, not infinity."""
    with company.get_connection(read_only=True) as connection:
        march = {row.metric: row for row in compute_scorecard(connection, date(2025, 3, 31))}
        february = {row.metric: row for row in compute_scorecard(connection, date(2025, 2, 28))}
        june = {row.metric: row for row in compute_scorecard(connection, date(2025, 6, 30))}
    assert march["portfolio_roi_pct"].value == pytest.approx(77.5)
    ltv = (192.17 / 3) * (1519 / 1539) / 0.5
    assert february["ltv_to_cac"].value == pytest.approx(ltv / 85, rel=1e-3)
    assert february["ltv_to_cac"].status == "missed"
    assert june["ltv_to_cac"].status == "no data"
