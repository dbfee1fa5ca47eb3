"""Materialisation metadata an analyst reads in the Dagster UI: counts, schema, previews."""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import dagster as dg
import duckdb
import numpy as np
import pandas as pd
from PIL import Image

PREVIEW_ROWS = 10


def column_schema(
    connection: duckdb.DuckDBPyConnection,
    qualified_name: str,
    descriptions: dict[str, str] | None = None,
) -> dg.TableSchema:
    """The table's columns as DuckDB has them, with the meanings the declarations give."""
    schema, table = qualified_name.split(".")
    rows = connection.execute(
        "select column_name, data_type, is_nullable from information_schema.columns "
        "where table_schema = $1 and table_name = $2 order by ordinal_position",
        [schema, table],
    ).fetchall()
    return dg.TableSchema(
        columns=[
            dg.TableColumn(
                name=name,
                type=data_type,
                description=(descriptions or {}).get(name),
                constraints=dg.TableColumnConstraints(nullable=nullable == "YES"),
            )
            for name, data_type, nullable in rows
        ]
    )


def cell_text(value: Any) -> str:
    """How one value reads in a table: dates as dates, floats to two decimals, yes/no."""
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NaT:
        return ""
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, float | np.floating):
        return f"{value:.2f}" if value == 0 or abs(value) >= 0.01 else f"{value:.2g}"
    if (
        isinstance(value, pd.Timestamp | datetime)
        and value.tzinfo is None
        and value == (value.replace(hour=0, minute=0, second=0, microsecond=0))
    ):
        return value.date().isoformat()
    return str(value)


def markdown_table(frame: pd.DataFrame) -> str:
    """A pipe table without the `tabulate` dependency that pandas.to_markdown needs."""
    if frame.empty:
        return "_no rows_"
    header = "| " + " | ".join(str(column) for column in frame.columns) + " |"
    rule = "|" + "---|" * len(frame.columns)
    body = [
        "| " + " | ".join(cell_text(value) for value in row) + " |"
        for row in frame.astype(object).itertuples(index=False)
    ]
    return "\n".join([header, rule, *body])


def table_metadata(
    connection: duckdb.DuckDBPyConnection,
    qualified_name: str,
    preview_sql: str | None = None,
    preview_params: dict[str, Any] | None = None,
    descriptions: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Row count, column schema, table name and a preview (by default, the first rows)."""
    total = connection.execute(f"select count(*) from {qualified_name}").fetchone()
    cursor = connection.execute(
        preview_sql or f"select * from {qualified_name} limit {PREVIEW_ROWS}",
        preview_params or {},
    )
    # Python values, not a DataFrame: pandas would show a DATE as a midnight timestamp.
    preview = pd.DataFrame(
        cursor.fetchmany(PREVIEW_ROWS), columns=[column[0] for column in cursor.description]
    ).astype(object)
    return {
        "dagster/row_count": int(total[0]) if total else 0,
        "dagster/table_name": qualified_name,
        "dagster/column_schema": column_schema(connection, qualified_name, descriptions),
        "preview": dg.MetadataValue.md(markdown_table(preview)),
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
    PNG of at most PICTURE_COLOURS colours (flat chart colours lose nothing; a third the bytes)."""
    rendered = io.BytesIO()
    figure.savefig(rendered, format="png", dpi=PICTURE_DPI, bbox_inches="tight", facecolor="white")
    rendered.seek(0)
    with Image.open(rendered) as image:
        palette = image.convert("RGB").quantize(PICTURE_COLOURS, dither=Image.Dither.NONE)
    buffer = io.BytesIO()
    palette.save(buffer, format="png", optimize=True)
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    return dg.MetadataValue.md(f"![{caption}](data:image/png;base64,{encoded})\n\n{caption}")
