"""Materialisation metadata an analyst reads in the Dagster UI: counts, schema, previews."""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

import dagster as dg
import duckdb
import numpy as np
import pandas as pd
from PIL import Image

from nexus_pipelines.contract import MONEY_SCALE
from nexus_pipelines.settings import load_settings

PREVIEW_ROWS = 10
# How a column reads in the UI. A declaration may name a column's format (`formats:`); the rest
# follow from facts, then conventions: see column_kind.
ColumnFormat = Literal[
    "count", "id", "money", "percent", "fraction", "pct_points", "minutes", "hours", "days",
    "months", "ms", "number", "text",
]  # fmt: skip
# Name suffixes that carry a unit (longest first: `_pct_points` before `_pct`).
UNIT_SUFFIXES: tuple[tuple[str, ColumnFormat], ...] = (
    ("_pct_points", "pct_points"),
    ("_pct", "percent"),
    ("_minutes", "minutes"),
    ("_hours", "hours"),
    ("_days", "days"),
    ("_months", "months"),
    ("_ms", "ms"),
)
UNIT_TEXT = {
    "pct_points": " pp",
    "minutes": " min",
    "hours": " h",
    "days": " days",
    "months": " months",
    "ms": " ms",
}
_INTEGER_TYPES = {
    "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT",
    "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT",
}  # fmt: skip
_MONEY_TYPE = re.compile(rf"^DECIMAL\(\d+,{MONEY_SCALE}\)$")


def table_columns(
    connection: duckdb.DuckDBPyConnection, qualified_name: str
) -> list[tuple[str, str, bool]]:
    """(name, DuckDB type, nullable) of each column, in table order."""
    schema, table = qualified_name.split(".")
    rows = connection.execute(
        "select column_name, data_type, is_nullable from information_schema.columns "
        "where table_schema = $1 and table_name = $2 order by ordinal_position",
        [schema, table],
    ).fetchall()
    return [(name, data_type, nullable == "YES") for name, data_type, nullable in rows]


def column_schema(
    connection: duckdb.DuckDBPyConnection,
    qualified_name: str,
    descriptions: dict[str, str] | None = None,
) -> dg.TableSchema:
    """The table's columns as DuckDB has them, with the meanings the declarations give."""
    return dg.TableSchema(
        columns=[
            dg.TableColumn(
                name=name,
                type=data_type,
                description=(descriptions or {}).get(name),
                constraints=dg.TableColumnConstraints(nullable=nullable),
            )
            for name, data_type, nullable in table_columns(connection, qualified_name)
        ]
    )


def column_kind(name: str, data_type: str, declared: Mapping[str, str] | None = None) -> str:
    """How a column's values read: the declaration's word first (`formats`, `percent_columns`),
    then the type's (the contract's MONEY is DECIMAL(18,2), so a 2-decimal DECIMAL is money; an
    integer counts), then the name's unit (suffix `_pct`, `_pct_points`, `_minutes`, `_hours`,
    `_days`, `_months`, `_ms`, or `_pct_` inside); an integer named `id` or `*_id` is an
    identifier, shown without separators."""
    if declared and name in declared:
        return declared[name]
    data_type = data_type.upper()
    if data_type == "BOOLEAN":
        return "bool"
    if data_type == "DATE":
        return "date"
    if data_type.startswith(("TIMESTAMP", "TIME")):
        return "timestamp"
    if _MONEY_TYPE.match(data_type.replace(" ", "")):
        return "money"
    numeric = data_type in _INTEGER_TYPES or data_type.startswith(("DECIMAL", "DOUBLE", "FLOAT"))
    if not numeric:
        return "text"
    if data_type in _INTEGER_TYPES and (name == "id" or name.endswith("_id")):
        return "id"
    for suffix, kind in UNIT_SUFFIXES:
        if name.endswith(suffix):
            return kind
    if "_pct_" in name:  # abs_pct_error
        return "percent"
    return "count" if data_type in _INTEGER_TYPES else "number"


def column_kinds(
    connection: duckdb.DuckDBPyConnection,
    qualified_name: str,
    declared: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Each column's kind (column_kind), from the table's DuckDB types."""
    return {
        name: column_kind(name, data_type, declared)
        for name, data_type, _ in table_columns(connection, qualified_name)
    }


def _decimals(value: float, fixed: int | None = None) -> str:
    """Thousands separators; `fixed` decimals, or at most two with trailing zeros dropped, and
    below 1 three significant digits (0.999 does not read as 1, nor 0.0012 as 0)."""
    if fixed is not None:
        if round(value, fixed) == 0:
            value = 0.0  # a small negative reads 0.00, not -0.00
        return f"{value:,.{fixed}f}"
    if value != 0 and abs(value) < 0.01:
        return f"{value:.2g}"
    if value != 0 and abs(value) < 1:
        return f"{value:.3g}"
    text = f"{value:,.2f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def cell_text(value: Any, kind: str | None = None, currency: str | None = None) -> str:
    """How one value reads in a table, by its column's kind (column_kind): counts whole with
    thousands separators, money with two decimals and the currency, percentages with %,
    fractions as percentages, durations with their unit, dates as dates, yes/no. Without a
    kind, an integer is a count and a float has two decimals."""
    missing = value is None or value is pd.NA or value is pd.NaT  # pd.NA: NULL of an integer column
    if missing or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, pd.Timestamp | datetime):
        midnight = value.replace(hour=0, minute=0, second=0, microsecond=0)
        if value.tzinfo is None and value == midnight:
            return value.date().isoformat()
        return str(value.replace(microsecond=0))
    if isinstance(value, date):
        return value.isoformat()
    if not isinstance(value, int | float | Decimal | np.integer | np.floating):
        return str(value)
    if kind in {"id", "text"}:
        return str(value)
    number = float(value)
    if kind is None and not isinstance(value, int | np.integer):  # a float of unknown kind
        return _decimals(number, 2) if number == 0 or abs(number) >= 0.01 else f"{number:.2g}"
    if kind in {None, "count"} and number.is_integer():
        return f"{int(number):,}"
    if kind == "money":
        return f"{_decimals(number, 2)} {currency}" if currency else _decimals(number, 2)
    if kind == "fraction":
        return f"{_decimals(number * 100)}%"
    if kind == "percent":
        return f"{_decimals(number)}%"
    return _decimals(number) + UNIT_TEXT.get(kind, "")


def markdown_table(
    frame: pd.DataFrame, kinds: Mapping[str, str] | None = None, currency: str | None = None
) -> str:
    """A pipe table without the `tabulate` dependency that pandas.to_markdown needs; cells read
    as cell_text says (by `kinds` of the columns, where given)."""
    if frame.empty:
        return "_no rows_"
    kinds = kinds or {}
    columns = [str(column) for column in frame.columns]
    header = "| " + " | ".join(columns) + " |"
    rule = "|" + "---|" * len(frame.columns)
    body = [
        "| "
        + " | ".join(
            cell_text(value, kinds.get(column), currency)
            for column, value in zip(columns, row, strict=True)
        )
        + " |"
        for row in frame.astype(object).itertuples(index=False)
    ]
    return "\n".join([header, rule, *body])


def headline_number(value: Any, kind: str | None) -> int | float | dg.MetadataValue:
    """A figure the UI plots, typed so it reads as what it is: a whole count as an int (71, not
    71.00), a fraction on the 0-100 scale (0.999 -> 99.9), money and percentages to the cent /
    hundredth. No value is shown as none, not as 0: a 0 would plot as a collapse."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return dg.MetadataValue.null()
    if isinstance(value, int | np.integer) and kind != "fraction":
        return dg.MetadataValue.int(int(value))
    number = float(value)
    if kind == "fraction":
        return dg.MetadataValue.float(round(number * 100, 4))
    return dg.MetadataValue.float(round(number, 2 if kind != "number" else 4))


def table_metadata(
    connection: duckdb.DuckDBPyConnection,
    qualified_name: str,
    preview_sql: str | None = None,
    preview_params: dict[str, Any] | None = None,
    descriptions: dict[str, str] | None = None,
    formats: Mapping[str, str] | None = None,
    first_columns: Sequence[str] = (),
) -> dict[str, Any]:
    """Row count, column schema, table name and a preview (by default, the first rows).

    The preview is a Dagster table (shown inline on the asset page, every column, not cut off
    behind a markdown dialog), its cells formatted by column kind (column_kind; `formats` are the
    declaration's), `first_columns` leading."""
    total = connection.execute(f"select count(*) from {qualified_name}").fetchone()
    columns = table_columns(connection, qualified_name)
    kinds = {name: column_kind(name, data_type, formats) for name, data_type, _ in columns}
    types = {name: data_type for name, data_type, _ in columns}
    cursor = connection.execute(
        preview_sql or f"select * from {qualified_name} limit {PREVIEW_ROWS}",
        preview_params or {},
    )
    names = [column[0] for column in cursor.description]
    shown = [name for name in first_columns if name in names]
    shown += [name for name in names if name not in shown]
    rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchmany(PREVIEW_ROWS)]
    currency = load_settings().currency
    preview = dg.MetadataValue.table(
        records=[
            dg.TableRecord(
                {
                    name: (
                        cell_text(row[name], kinds.get(name), currency)
                        if row[name] is not None
                        else None
                    )
                    for name in shown
                }
            )
            for row in rows
        ],
        schema=dg.TableSchema(
            columns=[
                dg.TableColumn(
                    name=name,
                    type=types.get(name, "string"),
                    description=(descriptions or {}).get(name),
                )
                for name in shown
            ]
        ),
    )
    return {
        "dagster/row_count": int(total[0]) if total else 0,
        "dagster/table_name": qualified_name,
        "dagster/column_schema": column_schema(connection, qualified_name, descriptions),
        "preview": preview,
    }


def partitioned_result(
    context: dg.AssetExecutionContext,
    own: Mapping[str, Mapping[str, Any]],
    newest: Mapping[str, Any],
    run_facts: Mapping[str, Any],
    check_results: Sequence[dg.AssetCheckResult] = (),
) -> dg.MaterializeResult:
    """A partitioned run's result with one truth per partition: each its own facts (`own`, by
    partition key), the newest also `newest` (preview, schema, pictures: shown once, not copied
    to every partition), and all of them the run's own figures (`run_facts`)."""
    *older, latest = context.partition_keys
    for key in older:
        context.add_asset_metadata(dict(own.get(key, {})), partition_key=key)
    context.add_asset_metadata({**newest, **own.get(latest, {})}, partition_key=latest)
    return dg.MaterializeResult(metadata=dict(run_facts), check_results=list(check_results))


# Twice the 72 dpi pictures had: text of 10 points is 20 pixels high, sharp on dense screens.
PICTURE_DPI = 144
PICTURE_COLOURS = 256


def png_markdown(figure: Any, caption: str) -> dg.MetadataValue:
    """A matplotlib figure as markdown metadata the UI renders as a picture.

    Build it with `matplotlib.figure.Figure` (no pyplot: no global state, no display needed).
    The UI shows a picture at its pixel size (markdown cannot set a width), so PICTURE_DPI sets
    how large it reads. Every materialisation stores it in the event log, so it is kept small: a
    PNG of at most PICTURE_COLOURS colours (flat chart colours lose nothing; a third the bytes),
    chosen by the fast octree (half median cut's time on the demo's pictures, and 16 % fewer
    bytes, the heat map's shades kept apart as well)."""
    rendered = io.BytesIO()
    figure.savefig(rendered, format="png", dpi=PICTURE_DPI, bbox_inches="tight", facecolor="white")
    rendered.seek(0)
    with Image.open(rendered) as image:
        palette = image.convert("RGB").quantize(
            PICTURE_COLOURS, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE
        )
    buffer = io.BytesIO()
    palette.save(buffer, format="png", optimize=True)
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    return dg.MetadataValue.md(f"![{caption}](data:image/png;base64,{encoded})\n\n{caption}")
