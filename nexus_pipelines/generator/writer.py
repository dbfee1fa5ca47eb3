"""Contract tables to files: the one place that knows Arrow types, Parquet and CSV."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from nexus_pipelines.contract import Column, load_contract
from nexus_pipelines.generator.columns import NULL, Cat, Table, labels

_US = 1_000_000
_ARROW_TYPES = {
    "BIGINT": pa.int64(),
    "INTEGER": pa.int32(),
    "DOUBLE": pa.float64(),
    "BOOLEAN": pa.bool_(),
    "VARCHAR": pa.string(),
    "DATE": pa.date32(),
    "TIMESTAMPTZ": pa.timestamp("us", tz="UTC"),
    "MONEY": pa.decimal128(18, 2),
}


def _to_arrow(column: Column, values: object) -> pa.Array:
    """One column in the contract's Arrow type; timestamps arrive as epoch seconds, dates as
    epoch days, money as integer cents, and NULL as NULL/NaN/None/code -1."""
    arrow_type = _ARROW_TYPES[column.type]
    if isinstance(values, pa.Array):
        return values if values.type == arrow_type else values.cast(arrow_type)
    if isinstance(values, Cat):
        return labels(values.codes, values.labels)
    if column.type == "VARCHAR":
        return pa.array(np.asarray(values, dtype=object), pa.string())
    if column.type == "BOOLEAN":
        return pa.array(np.asarray(values, dtype=bool))
    if column.type == "DOUBLE":
        floats = np.asarray(values, dtype=np.float64)
        return pa.array(floats, mask=np.isnan(floats))
    ints = np.asarray(values, dtype=np.int64)
    missing = ints == NULL
    mask = missing if missing.any() else None
    ints = np.where(missing, 0, ints)
    if column.type == "MONEY":
        words = np.empty((ints.size, 2), dtype=np.int64)  # little-endian 128-bit integers
        words[:, 0], words[:, 1] = ints, ints >> 63
        money = pa.Array.from_buffers(arrow_type, ints.size, [None, pa.py_buffer(words)])
        return money if mask is None else pc.if_else(mask, pa.scalar(None, arrow_type), money)
    if column.type == "TIMESTAMPTZ":
        ints = ints * _US
    if column.type == "DATE":
        ints = ints.astype(np.int32)
    return pa.array(ints, type=arrow_type, mask=mask)


def _csv_ready(data: pa.Table) -> pa.Table:
    """Timestamps as `2025-03-01T09:30:00Z`; the other types already print as the contract asks."""
    columns = [
        pc.strftime(column.cast(pa.timestamp("s", tz="UTC")), format="%Y-%m-%dT%H:%M:%SZ")
        if pa.types.is_timestamp(column.type)
        else column
        for column in data.columns
    ]
    return pa.Table.from_arrays(columns, names=data.column_names)


class Writer:
    """Writes contract tables as `<table>/part-NNNNN.<fmt>` with exactly the contract's columns."""

    def __init__(self, out_dir: Path, fmt: str) -> None:
        self.contract = load_contract()
        self.out_dir = out_dir
        self.fmt = fmt
        self.rows = dict.fromkeys(self.contract, 0)
        for name in self.contract:
            folder = out_dir / name
            folder.mkdir(parents=True, exist_ok=True)
            for stale in [*folder.glob("part-*.parquet"), *folder.glob("part-*.csv")]:
                stale.unlink()

    def write(self, table: Table) -> None:
        """Refuses columns the contract does not list, and NULLs where it forbids them."""
        name, columns = table.name, table.columns
        contract = self.contract[name]
        if list(columns) != contract.column_names:
            raise ValueError(f"{name}: columns {list(columns)} are not {contract.column_names}")
        arrays = [_to_arrow(column, columns[column.name]) for column in contract.columns]
        for column, array in zip(contract.columns, arrays, strict=True):
            if array.null_count and not column.nullable:
                raise ValueError(f"{name}.{column.name}: generated NULLs in a NOT NULL column")
        schema = pa.schema(
            [pa.field(c.name, _ARROW_TYPES[c.type], nullable=c.nullable) for c in contract.columns]
        )
        data = pa.Table.from_arrays(arrays, schema=schema)
        path = self.out_dir / name / f"part-{table.part:05d}.{self.fmt}"
        if self.fmt == "parquet":
            pq.write_table(data, path, compression="snappy")
        else:
            pa_csv.write_csv(_csv_ready(data), path)
        self.rows[name] += data.num_rows
