"""The Monthly financial report (revenue.monthly_financial_report) over revenue tables written by
hand as their assets store them: each of its four parts (revenue, costs, unit economics,
forecasting) for the last complete month on the as-of day, against the figures worked out in
the docstrings."""

import re
from datetime import date

import dagster as dg
from report_runs import materialize

from nexus_pipelines.reports import build_report_assets
from nexus_pipelines.warehouse import Warehouse

REPORT = dg.AssetKey(["revenue", "monthly_financial_report"])
JAN, FEB, MAR, APR = date(2025, 1, 1), date(2025, 2, 1), date(2025, 3, 1), date(2025, 4, 1)
DEC = date(2024, 12, 1)

# January: 10 new customers at 100. February: from 1,000 at the start, new 300 (2 customers),
# expansion 150 (1), reactivation 50 (1), contraction -40 (2), churn -200 (2):
# MRR 1000 + 300 + 150 + 50 - 40 - 200 = 1,260 for 10 + 2 + 1 - 2 = 11 paying; ARPA 114.55;
# customer churn 2 / 10 = 0.2; gross MRR churn (200 + 40) / 1000 = 0.24; net MRR churn
# (240 - 150 - 50) / 1000 = 0.04; NRR (1000 - 240 + 150) / 1000 = 0.91; GRR 760 / 1000 = 0.76.
# March is under way (as of 10 March): its row must not be reported.
MRR_MONTHLY = [  # month, mrr, arr, paying, arpa, starting mrr, starting customers, new, expansion,
    # contraction, churn, reactivation, new customers, reactivated, churned, customer churn rate,
    # gross MRR churn, net MRR churn, nrr, grr, churn revenue impact
    (JAN, 1000, 12000, 10, 100, 0, 0, 1000, 0, 0, 0, 0, 10, 0, 0, None, None, None, None, None, 0),
    (
        FEB,
        1260,
        15120,
        11,
        114.55,
        1000,
        10,
        300,
        150,
        -40,
        -200,
        50,
        2,
        1,
        2,
        0.2,
        0.24,
        0.04,
        0.91,
        0.76,
        -240,
    ),
    (MAR, 9999, 119988, 99, 101, 1260, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0),
]
MOVEMENTS = [  # month, customer, movement: February's 1 expansion and 2 contractions
    (FEB, "c1", "expansion"),
    (FEB, "c2", "contraction"),
    (FEB, "c3", "contraction"),
    (FEB, "c4", "retained"),
    (MAR, "c5", "expansion"),
]
COSTS = [  # month, category, channel, amount
    (JAN, "infrastructure", "(none)", 100),
    (JAN, "marketing", "paid_search", 200),
    (JAN, "marketing", "(unattributed)", 50),
    (JAN, "team", "(none)", 600),
    (FEB, "infrastructure", "(none)", 120),
    (FEB, "marketing", "paid_search", 300),
    (FEB, "marketing", "content", 100),
    (FEB, "team", "(none)", 600),
    (FEB, "tools", "(none)", 80),
    (MAR, "infrastructure", "(none)", 999),
]
MARGIN = [  # month, revenue, refunds, cost of revenue, gross profit, gross margin, total costs,
    # operating profit: February 1500 - 120 = 1380 (0.92), 1500 - 1200 = 300
    (JAN, 1000, 0, 100, 900, 0.9, 950, 50),
    (FEB, 1500, 50, 120, 1380, 0.92, 1200, 300),
    (MAR, 1700, 0, 999, 701, 0.41, 999, 701),
]
BUDGET = [  # month, category, budget, actual, variance, variance %, assessment
    (FEB, "infrastructure", 100, 120, 20, 20.0, "unfavourable"),
    (FEB, "team", 700, 600, -100, -100 / 7, "favourable"),
    (JAN, "team", 1, 1, 0, 0.0, "on budget"),
]
# blended: CAC 400 / 2 = 200; LTV 114.55 x 0.92 / 0.1 = 1053.86; LTV:CAC 5.2693;
# payback 200 / (150 x 0.92) = 1.449 months. paid_search: CAC 300; LTV 120 x 0.92 / 0.2 = 552;
# LTV:CAC 1.84; payback 300 / (200 x 0.92) = 1.630.
UNIT_ECONOMICS = [  # month, channel, spend, new, cac, arpa, gross margin, trailing churn, ltv,
    # ltv:cac, payback months
    (FEB, "paid_search", 300, 1, 300, 120, 0.92, 0.2, 552, 1.84, 300 / (200 * 0.92)),
    (FEB, "blended", 400, 2, 200, 114.55, 0.92, 0.1, 1053.86, 1053.86 / 200, 200 / (150 * 0.92)),
    (JAN, "blended", 250, 10, 25, 100, 0.9, None, None, None, 0.28),
]
FORECASTS = [  # fitted through, series, horizon, target month, forecast, lower, upper, level
    (JAN, "revenue", 1, FEB, 1400, 1300, 1450, 0.8),
    (JAN, "costs", 1, FEB, 1000, 900, 1100, 0.8),
    (FEB, "revenue", 1, MAR, 1600, 1400, 1800, 0.8),
    (FEB, "revenue", 2, APR, 1700, 1400, 2000, 0.8),
    (FEB, "costs", 1, MAR, 1250, 1150, 1350, 0.8),
]
# As forecast_vs_actual scores them (error = actual - forecast, abs % error = |error| / actual):
# revenue Jan h1 (fitted December) 900 vs 1000: +100, 10 %, inside [800, 1050];
# revenue Feb h1 1400 vs 1500: +100, 6.67 %, outside [1300, 1450];
# revenue Feb h2 (fitted December) 1450 vs 1500: +50, 3.33 %, inside [1350, 1600];
# costs Feb h1 1000 vs 1200: +200, 16.67 %, outside [900, 1100];
# revenue Mar h1 1600 vs 1700 (March under way): after the report's month, left out.
SCORED = [  # fitted through, series, horizon, target, forecast, lower, upper, actual, error,
    # abs % error, within interval
    (DEC, "revenue", 1, JAN, 900, 800, 1050, 1000, 100, 10.0, True),
    (JAN, "revenue", 1, FEB, 1400, 1300, 1450, 1500, 100, 100 / 15, False),
    (DEC, "revenue", 2, FEB, 1450, 1350, 1600, 1500, 50, 50 / 15, True),
    (JAN, "costs", 1, FEB, 1000, 900, 1100, 1200, 200, 200 / 12, False),
    (FEB, "revenue", 1, MAR, 1600, 1400, 1800, 1700, 100, 100 / 17, True),
]
MONEY = "decimal(18, 2)"
TABLES = {  # the revenue tables the report reads, with the columns (and types) their assets write
    "mrr_monthly": (
        f"month date, mrr {MONEY}, arr {MONEY}, paying_customers bigint, arpa {MONEY}, "
        f"starting_mrr {MONEY}, starting_customers bigint, new_mrr {MONEY}, "
        f"expansion_mrr {MONEY}, contraction_mrr {MONEY}, churn_mrr {MONEY}, "
        f"reactivation_mrr {MONEY}, new_customers bigint, reactivated_customers bigint, "
        "churned_customers bigint, customer_churn_rate double, gross_mrr_churn_rate double, "
        f"net_mrr_churn_rate double, nrr double, grr double, churn_revenue_impact {MONEY}",
        MRR_MONTHLY,
    ),
    "mrr_movements": ("month date, customer_id varchar, movement varchar", MOVEMENTS),
    "costs_monthly": (f"month date, category varchar, channel varchar, amount {MONEY}", COSTS),
    "gross_margin_monthly": (
        f"month date, revenue {MONEY}, refunds {MONEY}, cost_of_revenue {MONEY}, "
        f"gross_profit {MONEY}, gross_margin double, total_costs {MONEY}, "
        f"operating_profit {MONEY}",
        MARGIN,
    ),
    "budget_variance": (
        f"month date, category varchar, budget {MONEY}, actual {MONEY}, variance {MONEY}, "
        "variance_pct double, assessment varchar",
        BUDGET,
    ),
    "unit_economics": (
        f"month date, channel varchar, spend {MONEY}, new_customers bigint, cac {MONEY}, "
        f"arpa {MONEY}, gross_margin double, trailing_churn_rate double, ltv {MONEY}, "
        "ltv_to_cac double, cac_payback_months double",
        UNIT_ECONOMICS,
    ),
    "forecasts": (
        f"fitted_through date, series varchar, horizon integer, target_month date, "
        f"forecast {MONEY}, lower_bound {MONEY}, upper_bound {MONEY}, interval_level double",
        FORECASTS,
    ),
    "forecast_vs_actual": (
        f"fitted_through date, series varchar, horizon integer, target_month date, "
        f"forecast {MONEY}, lower_bound {MONEY}, upper_bound {MONEY}, actual {MONEY}, "
        f"error {MONEY}, abs_pct_error double, within_interval boolean",
        SCORED,
    ),
}


def write_tables(warehouse: Warehouse, last_day: date) -> None:
    """The revenue tables above, and one raw row whose day is the data's last (the as-of day)."""
    with warehouse.get_connection() as connection:
        connection.execute("create schema if not exists revenue")
        for table, (columns, rows) in TABLES.items():
            connection.execute(f"create table revenue.{table} ({columns})")
            marks = ", ".join("?" * len(rows[0]))
            connection.executemany(f"insert into revenue.{table} values ({marks})", rows)
        connection.execute("create schema if not exists raw")
        connection.execute(
            f"create table raw.users as select timestamptz '{last_day} 12:00:00+00' as signup_at"
        )


def materialise(warehouse: Warehouse) -> tuple[str, dict]:
    """The report alone; its markdown (pictures' image data cut) and its metadata."""
    assets = [a for a in build_report_assets() if REPORT in a.keys]
    result = materialize(assets, resources={"warehouse": warehouse})
    assert result.success
    (event,) = result.asset_materializations_for_node("revenue__monthly_financial_report")
    text = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "PNG", event.metadata["report"].value)
    return text, {name: value.value for name, value in event.metadata.items()}


def section(text: str, title: str) -> str:
    """The body of the section titled `title`, up to the next heading."""
    body = text.split(f"## {title}\n\n", 1)[1]
    return body.split("\n## ", 1)[0].strip()


def test_the_report_holds_february_as_of_10_march(warehouse: Warehouse) -> None:
    """As of 10 March 2025 the last complete month is February; March's rows (under way) and
    January's (the month before, where compared) are not reported as the month."""
    write_tables(warehouse, date(2025, 3, 10))
    text, metadata = materialise(warehouse)
    assert text.startswith("# Monthly financial report, as of 2025-03-10\n")
    assert section(text, "Month reported") == "**2025-02**"

    # Revenue: changes against January: MRR 1260 - 1000 = 260, ARR 15120 - 12000 = 3120,
    # paying 11 - 10 = 1, ARPA 114.55 - 100 = 14.55.
    assert section(text, "Revenue: MRR and ARR at month end").splitlines()[2:] == [
        "| MRR | 1,260.00 | 1,000.00 | 260.00 |",
        "| ARR | 15,120.00 | 12,000.00 | 3,120.00 |",
        "| Paying customers | 11.00 | 10.00 | 1.00 |",
        "| ARPA | 114.55 | 100.00 | 14.55 |",
    ]
    assert section(text, "Revenue: the month's MRR movements").splitlines()[2:] == [
        "| starting MRR | 1,000.00 | 10 |",
        "| new | 300.00 | 2 |",
        "| expansion | 150.00 | 1 |",
        "| reactivation | 50.00 | 1 |",
        "| contraction | -40.00 | 2 |",
        "| churn | -200.00 | 2 |",
        "| ending MRR | 1,260.00 | 11 |",
    ]
    # January has no starting MRR: its rates are empty
    assert section(text, "Revenue: retention (NRR, GRR) and churn, in percent").splitlines()[
        2:
    ] == [
        "| NRR | 91.00 |  |",
        "| GRR | 76.00 |  |",
        "| Customer churn | 20.00 |  |",
        "| Gross MRR churn | 24.00 |  |",
        "| Net MRR churn | 4.00 |  |",
    ]
    assert metadata["mrr_trend_rows"] == 2  # January and February, not March

    # Costs: February 120 + 400 + 600 + 80 = 1200 (January 100 + 250 + 600 = 950);
    # shares 120 / 1200 = 10 %, 400 / 1200 = 33.3 %, 50 %, 80 / 1200 = 6.7 %.
    assert section(text, "Costs: per category").splitlines()[2:] == [
        "| infrastructure | 120.00 | 100.00 | 20.00 | 10.00 |",
        "| marketing | 400.00 | 250.00 | 150.00 | 33.30 |",
        "| team | 600.00 | 600.00 | 0.00 | 50.00 |",
        "| tools | 80.00 | 0.00 | 80.00 | 6.70 |",
        "| total | 1,200.00 | 950.00 | 250.00 | 100.00 |",
    ]
    assert section(text, "Costs: revenue, costs and margin").splitlines()[2:] == [
        "| Revenue (net of refunds, tax excluded) | 1,500.00 | 1,000.00 | 500.00 |",
        "| Refunds | 50.00 | 0.00 | 50.00 |",
        "| Cost of revenue | 120.00 | 100.00 | 20.00 |",
        "| Gross profit | 1,380.00 | 900.00 | 480.00 |",
        "| Gross margin % | 92.00 | 90.00 | 2.00 |",
        "| Total costs | 1,200.00 | 950.00 | 250.00 |",
        "| Operating profit | 300.00 | 50.00 | 250.00 |",
    ]
    # team -100 / 700 = -14.3 %
    assert section(text, "Costs: budget variance (booked costs against budget)").splitlines()[
        2:
    ] == [
        "| infrastructure | 100.00 | 120.00 | 20.00 | 20.00 | unfavourable |",
        "| team | 700.00 | 600.00 | -100.00 | -14.30 | favourable |",
    ]

    # Unit economics, blended first: LTV:CAC 5.27, payback 1.4 and 1.6 months.
    assert section(text, "Unit economics: CAC, LTV, LTV:CAC and payback per channel").splitlines()[
        2:
    ] == [
        "| blended | 400.00 | 2 | 200.00 | 114.55 | 92.00 | 10.00 | 1,053.86 | 5.27 | 1.40 |",
        "| paid_search | 300.00 | 1 | 300.00 | 120.00 | 92.00 | 20.00 | 552.00 | 1.84 | 1.60 |",
    ]
    assert section(text, "Unit economics: blended LTV:CAC (target above 3)") == "**5.27** ratio"

    # Forecasting: the forecast fitted through February, at 80 %.
    assert section(text, "Forecasting: the next months, with the prediction interval").splitlines()[
        2:
    ] == [
        "| costs | 1 | 2025-03-01 | 1,250.00 | 1,150.00 | 1,350.00 | 80.00 |",
        "| revenue | 1 | 2025-03-01 | 1,600.00 | 1,400.00 | 1,800.00 | 80.00 |",
        "| revenue | 2 | 2025-04-01 | 1,700.00 | 1,400.00 | 2,000.00 | 80.00 |",
    ]
    assert metadata["forecast_trend_rows"] == 4  # January and February actual, March and April
    assert section(
        text, "Forecasting: the forecasts made for the month against its actuals"
    ).splitlines()[2:] == [
        "| costs | 1 | 2025-01-01 | 1,000.00 | 900.00 | 1,100.00 | 1,200.00 | 200.00 | 16.70 "
        "| no |",
        "| revenue | 1 | 2025-01-01 | 1,400.00 | 1,300.00 | 1,450.00 | 1,500.00 | 100.00 | 6.70 "
        "| no |",
        "| revenue | 2 | 2024-12-01 | 1,450.00 | 1,350.00 | 1,600.00 | 1,500.00 | 50.00 | 3.30 "
        "| yes |",
    ]
    # Up to February: revenue h1 = January's and February's (mean error 100, MAPE
    # (10 + 6.67) / 2 = 8.3 %, 1 of 2 inside = 50 %); March's forecast is not counted yet.
    assert section(
        text, "Forecasting: error record per months ahead, up to the month"
    ).splitlines()[2:] == [
        "| costs | 1 | 1 | 200.00 | 16.70 | 0.00 |",
        "| revenue | 1 | 2 | 100.00 | 8.30 | 50.00 |",
        "| revenue | 2 | 1 | 50.00 | 3.30 | 100.00 |",
    ]


def test_a_month_without_figures_says_so(warehouse: Warehouse) -> None:
    """As of 31 December 2024, a month's last day, December itself is complete and reported:
    the tables have nothing for it, so the forecast sections say so in words."""
    write_tables(warehouse, date(2024, 12, 31))
    text, _ = materialise(warehouse)
    assert section(text, "Month reported") == "**2024-12**"
    assert section(text, "Revenue: MRR and ARR at month end") == "_no rows_"
    assert section(text, "Forecasting: the next months, with the prediction interval").endswith(
        "| no forecast fitted through 2024-12 (a fit needs 6 months of revenue) |  |  |  |  |  |  |"
    )
    assert section(
        text, "Forecasting: the forecasts made for the month against its actuals"
    ).endswith("| no forecast was made for 2024-12 |  |  |  |  |  |  |  |  |  |")
    assert section(text, "Forecasting: error record per months ahead, up to the month").endswith(
        "| no forecast scored yet: none has reached its month by 2024-12 |  |  |  |  |  |"
    )
