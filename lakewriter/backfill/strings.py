"""Builders of Arrow string columns from numpy arrays, formatted by compiled loops (numba), no Python per row."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import numpy as np
import pyarrow as pa
from numba import njit

MS_PER_SECOND = 1000
MS_PER_DAY = 86_400_000
SECONDS_PER_DAY = 86_400
TIMESTAMP_WIDTH = len("2026-01-31T23:59:59.999Z")
UUID_WIDTH = 36
DATE_WIDTH = len("2026-01-31T")
MAX_DENSE_DAYS = 4096
"""Timestamps spanning fewer days than this (or than their count) get every day's date text made up front."""

_HEX_DIGITS = np.frombuffer(b"0123456789abcdef", dtype=np.uint8).copy()
_UUID_AT = np.array([0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34], dtype=np.int64)
"""Where the two hex digits of each of a UUID's 16 bytes go in its text (dashes at 8, 13, 18 and 23)."""
_DASH, _COLON, _DOT, _ZERO, _Z = (ord(c) for c in "-:.0Z")


@njit(cache=True, nogil=True)
def _format_uuids(random_bytes: np.ndarray, out: np.ndarray) -> None:  # pragma: no cover - JIT
    for i in range(random_bytes.shape[0]):
        for k in range(16):
            b = random_bytes[i, k]
            if k == 6:
                b = (b & 0x0F) | 0x40  # version 4
            elif k == 8:
                b = (b & 0x3F) | 0x80  # RFC 4122 variant
            at = _UUID_AT[k]
            out[i, at] = _HEX_DIGITS[b >> 4]
            out[i, at + 1] = _HEX_DIGITS[b & 0x0F]
        out[i, 8] = _DASH
        out[i, 13] = _DASH
        out[i, 18] = _DASH
        out[i, 23] = _DASH


@njit(cache=True, nogil=True)
def _format_timestamps(  # pragma: no cover - compiled
    ms: np.ndarray, first_day: int, date_row: np.ndarray, dates: np.ndarray, out: np.ndarray
) -> None:
    u32 = np.uint32
    for i in range(ms.shape[0]):
        day = ms[i] // MS_PER_DAY  # floor division, as in Python, for times before 1970 too
        of_day = u32(ms[i] - day * MS_PER_DAY)
        at = i * TIMESTAMP_WIDTH
        row = date_row[day - first_day]
        for k in range(DATE_WIDTH):
            out[at + k] = dates[row, k]
        second = of_day // u32(MS_PER_SECOND)
        milli = of_day - second * u32(MS_PER_SECOND)
        hour = second // u32(3600)
        minute = (second - hour * u32(3600)) // u32(60)
        sec = second - hour * u32(3600) - minute * u32(60)
        out[at + 11] = _ZERO + hour // u32(10)
        out[at + 12] = _ZERO + hour % u32(10)
        out[at + 13] = _COLON
        out[at + 14] = _ZERO + minute // u32(10)
        out[at + 15] = _ZERO + minute % u32(10)
        out[at + 16] = _COLON
        out[at + 17] = _ZERO + sec // u32(10)
        out[at + 18] = _ZERO + sec % u32(10)
        out[at + 19] = _DOT
        out[at + 20] = _ZERO + milli // u32(100)
        out[at + 21] = _ZERO + milli // u32(10) % u32(10)
        out[at + 22] = _ZERO + milli % u32(10)
        out[at + 23] = _Z


def fixed_width_strings(data: np.ndarray, width: int) -> pa.StringArray:
    """Wrap `n * width` contiguous ASCII bytes as an Arrow string array of n values of `width` characters."""
    buf = np.ascontiguousarray(data).view(np.uint8).reshape(-1)
    if width <= 0 or buf.size % width:
        raise ValueError(f"width must divide the byte count {buf.size}, got {width}")
    n = buf.size // width
    offsets = np.arange(0, n * width + 1, width, dtype=np.int32)
    return pa.Array.from_buffers(pa.string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(buf)])


def uuid4_strings(random_bytes: np.ndarray, rows: np.ndarray | None = None) -> pa.StringArray:
    """Format an (n, 16) uint8 array of random bytes as RFC 4122 version-4 UUID strings (of `rows` only, if given).

    Rows repeat cheaply: each distinct one is formatted once and its text copied.
    """
    if random_bytes.ndim != 2 or random_bytes.shape[1] != 16 or random_bytes.dtype != np.uint8:
        raise ValueError(f"random_bytes must be an (n, 16) uint8 array, got {random_bytes.shape} {random_bytes.dtype}")
    text = np.empty((len(random_bytes), UUID_WIDTH), dtype=np.uint8)
    _format_uuids(random_bytes, text)
    if rows is not None:
        rows = np.asarray(rows, dtype=np.intp)
        if rows.size and not 0 <= rows.min() <= rows.max() < len(random_bytes):
            raise ValueError(f"rows must index the {len(random_bytes)} rows of random_bytes")
        text = np.take(text.view(f"V{UUID_WIDTH}").reshape(-1), rows)  # a copy of 36 bytes per row
    return fixed_width_strings(text, UUID_WIDTH)


def timestamp_strings(epoch_ms: np.ndarray) -> pa.StringArray:
    """Format int64 epoch milliseconds as ISO 8601 UTC strings like 2026-01-31T23:59:59.999Z."""
    ms = np.ascontiguousarray(epoch_ms, dtype=np.int64)
    if ms.size == 0:
        return pa.array([], type=pa.string())
    first, last = int(ms.min()) // MS_PER_DAY, int(ms.max()) // MS_PER_DAY
    # Each day's date text, indexed by day - first: every day of the span, or (a sparse span) only those present.
    days = range(first, last + 1) if last - first < max(MAX_DENSE_DAYS, ms.size) else np.unique(ms // MS_PER_DAY)
    date_row = np.zeros(last - first + 1, dtype=np.int32)
    date_row[np.asarray(days, dtype=np.int64) - first] = np.arange(len(days), dtype=np.int32)
    dates = np.frombuffer(
        b"".join(datetime.fromtimestamp(int(d) * SECONDS_PER_DAY, tz=UTC).strftime("%Y-%m-%dT").encode() for d in days),
        dtype=np.uint8,
    ).reshape(-1, DATE_WIDTH)
    out = np.empty(ms.size * TIMESTAMP_WIDTH, dtype=np.uint8)
    _format_timestamps(ms, first, date_row, dates, out)
    return fixed_width_strings(out, TIMESTAMP_WIDTH)


def string_table(values: Sequence[str]) -> pa.StringArray:
    """An Arrow string array of a few distinct values, for a shared dictionary; ValueError naming a repeated one.

    pyarrow's Parquet writer keeps a dictionary's distinct values but sizes the file's dictionary page for all of
    them: a repeated value leaves that many bytes of whatever memory held, so the same rows give different files.
    """
    repeated = sorted({v for v in values if list(values).count(v) > 1})
    if repeated:
        raise ValueError(f"values of a shared dictionary must be distinct, got {', '.join(map(repr, repeated))} twice")
    return pa.array(list(values), type=pa.string())


def coded_table(names: Sequence[str]) -> tuple[pa.StringArray, np.ndarray]:
    """(the distinct names in first-seen order, each code's index among them): a shared dictionary for codes whose
    names repeat (several codes, one value)."""
    distinct = list(dict.fromkeys(names))
    return string_table(distinct), np.array([distinct.index(n) for n in names], dtype=np.int32)
