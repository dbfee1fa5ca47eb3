"""The value conventions every domain builds its columns in, so that one writer can type them.

Timestamps are epoch seconds, dates epoch days, money integer cents, NULL is `NULL` (or NaN,
None, code -1); small vocabularies travel as codes (`Cat`) until the file is written.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

DAY = 86_400
NULL = np.iinfo(np.int64).min  # missing value in integer, date and timestamp columns


class Cat(NamedTuple):
    """A string column stored as codes into a small vocabulary (code -1 is NULL)."""

    codes: np.ndarray
    labels: Sequence[str | None]


class Table(NamedTuple):
    """One file's worth of a contract table: the columns in contract order, and which part."""

    name: str
    columns: dict[str, object]
    part: int = 0


def ranges(counts: np.ndarray) -> np.ndarray:
    """0..k-1 for every k in counts, concatenated (the index within each repeated group)."""
    counts = np.asarray(counts, dtype=np.int64)
    starts = np.cumsum(counts) - counts
    return np.arange(int(counts.sum()), dtype=np.int64) - np.repeat(starts, counts)


def text(*parts: str | np.ndarray | pa.Array) -> pa.Array:
    """Element-wise concatenation of literals and integer or string arrays (for identifiers)."""
    converted = [
        part
        if isinstance(part, str | pa.Array)
        else pc.cast(pa.array(np.asarray(part, dtype=np.int64)), pa.string())
        for part in parts
    ]
    return pc.binary_join_element_wise(*converted, "")


def ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    """Zero-padded identifiers, so that they sort as their numbers do."""
    digits = pc.cast(pa.array(np.asarray(numbers, dtype=np.int64)), pa.string())
    return text(prefix, pc.utf8_lpad(digits, width=width, padding="0"))


def hex_strings(rng: np.random.Generator, size: int, length: int = 40) -> pa.Array:
    """Random lowercase hex strings built straight into an Arrow buffer (commit hashes)."""
    chars = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)[
        rng.integers(0, 16, (size, length), dtype=np.uint8)
    ]
    offsets = np.arange(0, size * length + 1, length, dtype=np.int32)
    return pa.Array.from_buffers(
        pa.string(), size, [None, pa.py_buffer(offsets), pa.py_buffer(chars.tobytes())]
    )


def labels(codes: np.ndarray, vocabulary: Sequence[str | None]) -> pa.Array:
    """Strings from codes into a small vocabulary; code -1 is NULL."""
    codes = np.asarray(codes, dtype=np.int32)
    return pc.take(pa.array(list(vocabulary), pa.string()), pa.array(codes, mask=codes < 0))


def null_where(mask: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Values with NULL where mask holds (events that have not happened by the end)."""
    return np.where(mask, NULL, values)
