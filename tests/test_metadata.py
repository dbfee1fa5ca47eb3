"""What an analyst reads in the UI's metadata: pictures, typed figures and formatted previews.

The materialisation tests write hand-made tables in a real DuckDB file, run real SQL assets on a
temporary Dagster instance and read back what the instance recorded (what the UI shows).
Data (by hand), source table handmade.service_days:
  day        service  probes  revenue      uptime_pct  mttr_minutes  customer_id
  2025-03-29 api       1,200  137,738.09   99.95       12.5          12345
  2025-03-29 web          30        0.50   100         30            7
  2025-03-30 api          71    1,000.00   99.9        (none yet)    12345
  2025-03-30 web           0        0.00   (none)      (none yet)    7
Headline `probes` (a sum): March 1,200 + 30 + 71 + 0 = 1,301; the newest day (03-30) 71.
Preview: 03-30 has 3 empty cells in 2 rows, 03-29 none, so the latest complete day is 03-29.
handmade.slos: api 0.999 (the 99.9 % SLO), web 0.995, declared `formats: {slo: fraction}`;
headline slo of api: 99.9 on the 0-100 scale.
"""

from pathlib import Path

import dagster as dg
import pandas as pd
import pytest
from matplotlib.figure import Figure
from pictures import decoded_png, twice_the_old_size
from pydantic import ValidationError

from nexus_pipelines.metadata import cell_text, column_kind, markdown_table, png_markdown
from nexus_pipelines.settings import load_settings, write_company_overrides
from nexus_pipelines.sql_assets import (
    Headline,
    SqlAssetDeclaration,
    SqlAssetSpec,
    build_sql_asset,
    preview_query,
)
from nexus_pipelines.warehouse import Warehouse

MARCH = "2025-03-01"
SERVICE_DAYS = [
    ("2025-03-29", "api", 1200, "137738.09", 99.95, 12.5, 12345),
    ("2025-03-29", "web", 30, "0.50", 100.0, 30.0, 7),
    ("2025-03-30", "api", 71, "1000.00", 99.9, None, 12345),
    ("2025-03-30", "web", 0, "0.00", None, None, 7),
]


def test_png_markdown_embeds_a_small_png_at_twice_the_old_resolution() -> None:
    """The pictures were 72 dpi (a 4 x 3 inch figure about 260 x 210 pixels); now 144."""
    figure = Figure(figsize=(4, 3))
    axes = figure.add_subplot()
    axes.plot([0, 1, 2], [3, 1, 2])
    axes.set_title("a line")
    text = png_markdown(figure, "a line").value
    picture = decoded_png(text)
    assert twice_the_old_size(picture, figure) and picture.size[0] > 500
    # a palette PNG: about a third of the bytes of the full-colour one matplotlib writes
    assert picture.mode == "P"
    assert len(text) < 30_000
    assert text.endswith("a line")


def test_markdown_table_renders_values_as_an_analyst_reads_them() -> None:
    frame = pd.DataFrame(
        {
            "day": pd.to_datetime(["2026-11-24 00:00", "2026-11-24 06:30"]),
            "value": [58.2378223495702, None],
            "small": [0.00123, 0.0],
            "spike": [True, False],
            # an integer column with a NULL arrives from pandas as floats: still a count
            "users": [71.0, 22630.0],
            "mrr": [137738.09, -25.0],
            "slo": [0.999, 0.995],
        }
    )
    kinds = {"value": "percent", "users": "count", "mrr": "money", "slo": "fraction"}
    assert markdown_table(frame, kinds, "EUR") == (
        "| day | value | small | spike | users | mrr | slo |\n|---|---|---|---|---|---|---|\n"
        "| 2026-11-24 | 58.24% | 0.0012 | yes | 71 | 137,738.09 EUR | 99.9% |\n"
        "| 2026-11-24 06:30:00 |  | 0.00 | no | 22,630 | -25.00 EUR | 99.5% |"
    )
    # without kinds: an integer is a count, a float has two decimals
    untyped = pd.DataFrame({"n": [22630], "x": [45.0]}).astype(object)
    assert markdown_table(untyped) == "| n | x |\n|---|---|\n| 22,630 | 45.00 |"
    assert markdown_table(frame.iloc[0:0]) == "_no rows_"


@pytest.mark.parametrize(
    ("name", "data_type", "declared", "kind"),
    [
        ("active_users", "BIGINT", {}, "count"),
        ("customer_id", "BIGINT", {}, "id"),
        ("mrr", "DECIMAL(38,2)", {}, "money"),  # the contract's MONEY scale
        ("interval_level", "DOUBLE", {}, "number"),
        ("retention_pct", "DOUBLE", {}, "percent"),
        ("abs_pct_error", "DOUBLE", {}, "percent"),
        ("uplift_pct_points", "DOUBLE", {}, "pct_points"),
        ("mttr_minutes", "DOUBLE", {}, "minutes"),
        ("response_target_minutes", "INTEGER", {}, "minutes"),
        ("slo", "DOUBLE", {"slo": "fraction"}, "fraction"),  # declared beats the type
        ("day", "DATE", {}, "date"),
        ("movement", "VARCHAR", {}, "text"),
    ],
)
def test_a_columns_kind_comes_from_its_declaration_then_its_type_then_its_name(
    name: str, data_type: str, declared: dict[str, str], kind: str
) -> None:
    assert column_kind(name, data_type, declared) == kind


def test_formats_are_validated_where_they_are_declared() -> None:
    spec = {
        "name": "t",
        "description": "d",
        "owner": "o",
        "cadence": "daily",
        "partitions": "none",
        "key": ["k"],
        "columns": {"k": "The key.", "slo": "A service level objective, a 0-1 share."},
    }
    assert SqlAssetSpec.model_validate({**spec, "formats": {"slo": "fraction"}}).formats
    with pytest.raises(ValidationError, match="formats"):
        SqlAssetSpec.model_validate({**spec, "formats": {"slo": "percentage"}})


def typed(value: dg.MetadataValue) -> tuple[str, object]:
    """A metadata value with its type: Dagster's equality takes int 71 for float 71.0."""
    return type(value).__name__, value.value


def hand_declaration(name: str, sql: str, **fields) -> SqlAssetDeclaration:
    return SqlAssetDeclaration(
        name=name,
        domain="reliability",
        description="A hand-made table for the metadata tests.",
        owner="Infrastructure Maintainer",
        cadence="daily",
        deps=(),
        non_negative=(),
        columns={},
        sql=sql,
        **fields,
    )


SERVICE_HEALTH = hand_declaration(
    "handmade_service_health",
    "select * from handmade.service_days "
    "where day >= $window_start::date and day < $window_end::date",
    partitions="days_by_month",
    partition_column="day",
    key=("day", "service_id"),
    headline=Headline(column="probes", label="probes", aggregate="sum"),
)
SLOS = hand_declaration(
    "handmade_slos",
    "select service_id, slo from handmade.slos",
    partitions="none",
    partition_column=None,
    key=("service_id",),
    headline=Headline(
        column="slo", label="api_slo_pct", aggregate="last", filter=(("service_id", "api"),)
    ),
    formats=(("slo", "fraction"),),
)


def load_handmade(warehouse: Warehouse) -> None:
    with warehouse.get_connection() as connection:
        connection.execute("create schema if not exists handmade")
        connection.execute("create schema if not exists reliability")
        connection.execute(
            "create table handmade.service_days (day date, service_id varchar, probes bigint, "
            "revenue decimal(18,2), uptime_pct double, mttr_minutes double, customer_id bigint)"
        )
        connection.executemany(
            "insert into handmade.service_days values (?, ?, ?, ?, ?, ?, ?)", SERVICE_DAYS
        )
        connection.execute("create table handmade.slos (service_id varchar, slo double)")
        connection.execute("insert into handmade.slos values ('api', 0.999), ('web', 0.995)")


def test_a_run_records_typed_figures_and_a_formatted_preview_of_the_latest_complete_day(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    # the currency is the deployment's setting (here overridden to USD), not a constant
    write_company_overrides(load_settings(), currency="USD")
    load_handmade(warehouse)
    with dg.instance_for_test(temp_dir=str(tmp_path)) as instance:
        assert dg.materialize(
            [build_sql_asset(SERVICE_HEALTH)],
            resources={"warehouse": warehouse},
            instance=instance,
            partition_key=MARCH,
        ).success
        assert dg.materialize(
            [build_sql_asset(SLOS)], resources={"warehouse": warehouse}, instance=instance
        ).success
        health = instance.get_latest_materialization_event(SERVICE_HEALTH.asset_key)
        slos = instance.get_latest_materialization_event(SLOS.asset_key)
    assert health is not None and slos is not None
    shown = health.asset_materialization.metadata
    # a count is an int (plots as 1301 and reads 1,301 in the UI, not 1301.00)
    assert typed(shown["probes"]) == ("IntMetadataValue", 1301)
    assert typed(shown["latest_day_probes"]) == ("IntMetadataValue", 71)
    preview = shown["preview"]
    assert isinstance(preview, dg.TableMetadataValue)
    # the key first, then the headline column, then the rest in table order
    assert [column.name for column in preview.schema.columns] == [
        "day",
        "service_id",
        "probes",
        "revenue",
        "uptime_pct",
        "mttr_minutes",
        "customer_id",
    ]
    assert [record.data for record in preview.records] == [
        {
            "day": "2025-03-29",
            "service_id": "api",
            "probes": "1,200",
            "revenue": "137,738.09 USD",
            "uptime_pct": "99.95%",
            "mttr_minutes": "12.5 min",
            "customer_id": "12345",
        },
        {
            "day": "2025-03-29",
            "service_id": "web",
            "probes": "30",
            "revenue": "0.50 USD",
            "uptime_pct": "100%",
            "mttr_minutes": "30 min",
            "customer_id": "7",
        },
    ]
    slo_shown = slos.asset_materialization.metadata
    # the 99.9 % SLO: 99.9 on the 0-100 scale, and 99.9% in the preview
    assert typed(slo_shown["api_slo_pct"]) == ("FloatMetadataValue", 99.9)
    assert [record.data for record in slo_shown["preview"].records] == [
        {"service_id": "web", "slo": "99.5%"},
        {"service_id": "api", "slo": "99.9%"},
    ]


def test_a_preview_starts_at_the_newest_cohort_whose_days_are_filled(
    warehouse: Warehouse,
) -> None:
    """Cohorts 03-01 (days 0-2 filled), 03-02 (day 2 not yet) and 03-03 (days 1-2 not yet),
    each row a movement: the preview starts at 03-01, the newest cohort with no empty cell, not
    at 03-03 (2 of 3 rows empty); with `preview_by: movement` it shows the first row of each
    movement before the second of any."""
    with warehouse.get_connection() as connection:
        connection.execute("create schema if not exists growth")
        connection.execute(
            "create table growth.handmade_cohorts as select * from (values "
            "(date '2025-03-01', 0, 10, 'new'), (date '2025-03-01', 1, 6, 'new'), "
            "(date '2025-03-01', 2, 5, 'churn'), "
            "(date '2025-03-02', 0, 8, 'new'), (date '2025-03-02', 1, 4, 'new'), "
            "(date '2025-03-02', 2, null, 'churn'), "
            "(date '2025-03-03', 0, 9, 'new'), (date '2025-03-03', 1, null, 'new'), "
            "(date '2025-03-03', 2, null, 'churn')"
            ") t(signup_date, day_number, retained, movement)"
        )
        cohorts = hand_declaration(
            "handmade_cohorts",
            "select 1",
            partitions="days_by_month",
            partition_column="signup_date",
            key=("signup_date", "day_number"),
            headline=None,
        )
        cohorts = SqlAssetDeclaration(**{**cohorts.__dict__, "domain": "growth"})
        sql, params = preview_query(connection, cohorts)
        plain = connection.execute(sql, params).fetchall()
        by_movement = SqlAssetDeclaration(**{**cohorts.__dict__, "preview_by": "movement"})
        sql, params = preview_query(connection, by_movement)
        grouped = connection.execute(sql, params).fetchall()
        # a column the table lacks is a typo in the declaration, named, not silently ignored
        misnamed = SqlAssetDeclaration(**{**cohorts.__dict__, "preview_by": "movment"})
        with pytest.raises(ValueError, match="movment"):
            preview_query(connection, misnamed)
    assert [(str(day), number) for day, number, _, _ in plain] == [
        ("2025-03-01", 0),
        ("2025-03-01", 1),
        ("2025-03-01", 2),
    ]
    assert [(number, movement) for _, number, _, movement in grouped] == [
        (2, "churn"),
        (0, "new"),
        (1, "new"),
    ]


def test_a_change_that_rounds_to_zero_reads_without_a_sign() -> None:
    """A report's change of 99.98 - 99.99 rounded to two decimals in SQL is -0.0: it reads 0.00,
    as does money a fraction of a cent below zero; a real small negative keeps its sign."""
    assert cell_text(-0.0) == "0.00"
    assert cell_text(-0.001, "money") == "0.00"
    assert cell_text(-0.01) == "-0.01"
    assert cell_text(-0.004) == "-0.004"
