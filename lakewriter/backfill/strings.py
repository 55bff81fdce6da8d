"""Vectorised builders of Arrow string columns from numpy arrays (no Python loop per row)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import numpy as np
import pyarrow as pa

MS_PER_SECOND = 1000
MS_PER_DAY = 86_400_000
SECONDS_PER_DAY = 86_400

_HEX_BYTE_PAIRS = np.frombuffer(b"".join(f"{v & 0xFF:02x}{v >> 8:02x}".encode() for v in range(1 << 16)), dtype="<u4")
"""For each little-endian uint16 value, the hex of its two bytes in memory order, as 4 ASCII bytes in a uint32."""
_DASH = np.uint32(ord("-"))
_TIME_OF_DAY = np.array(
    [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}".encode() for s in range(SECONDS_PER_DAY)], dtype="S8"
)
_MILLIS_Z = np.array([f".{i:03d}Z".encode() for i in range(MS_PER_SECOND)], dtype="S5")
_TIMESTAMP_DTYPE = np.dtype({"names": ["d", "t", "f"], "formats": ["S11", "S8", "S5"], "offsets": [0, 11, 19]})
TIMESTAMP_WIDTH = _TIMESTAMP_DTYPE.itemsize
UUID_WIDTH = 36


def fixed_width_strings(data: np.ndarray, width: int) -> pa.StringArray:
    """Wrap `n * width` contiguous ASCII bytes as an Arrow string array of n values of `width` characters."""
    buf = np.ascontiguousarray(data).view(np.uint8).reshape(-1)
    if width <= 0 or buf.size % width:
        raise ValueError(f"width must divide the byte count {buf.size}, got {width}")
    n = buf.size // width
    offsets = np.arange(0, n * width + 1, width, dtype=np.int32)
    return pa.Array.from_buffers(pa.string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(buf)])


def uuid4_strings(random_bytes: np.ndarray) -> pa.StringArray:
    """Format an (n, 16) uint8 array of random bytes as RFC 4122 version-4 UUID strings."""
    if random_bytes.ndim != 2 or random_bytes.shape[1] != 16 or random_bytes.dtype != np.uint8:
        raise ValueError(f"random_bytes must be an (n, 16) uint8 array, got {random_bytes.shape} {random_bytes.dtype}")
    b = random_bytes.copy()
    b[:, 6] = (b[:, 6] & 0x0F) | 0x40  # version 4
    b[:, 8] = (b[:, 8] & 0x3F) | 0x80  # RFC 4122 variant
    pairs = b.view("<u2")
    g = [_HEX_BYTE_PAIRS[pairs[:, i]] for i in range(8)]  # eight groups of 4 hex digits, little-endian words
    # Lay out g0 g1 - g2 - g3 - g4 - g5 g6 g7 (36 bytes) as nine little-endian 32-bit words.
    out = np.empty((len(b), 9), dtype="<u4")
    out[:, 0], out[:, 1] = g[0], g[1]
    out[:, 2] = _DASH | (g[2] << 8)
    out[:, 3] = (g[2] >> 24) | (_DASH << 8) | ((g[3] & 0xFFFF) << 16)
    out[:, 4] = (g[3] >> 16) | (_DASH << 16) | ((g[4] & 0xFF) << 24)
    out[:, 5] = (g[4] >> 8) | (_DASH << 24)
    out[:, 6], out[:, 7], out[:, 8] = g[5], g[6], g[7]
    return fixed_width_strings(out, UUID_WIDTH)


def timestamp_strings(epoch_ms: np.ndarray) -> pa.StringArray:
    """Format int64 epoch milliseconds as ISO 8601 UTC strings like 2026-01-31T23:59:59.999Z."""
    ms = np.asarray(epoch_ms, dtype=np.int64)
    if ms.size == 0:
        return pa.array([], type=pa.string())
    day = ms // MS_PER_DAY
    first = int(day.min())
    days = np.array(
        [
            datetime.fromtimestamp(d * SECONDS_PER_DAY, tz=UTC).strftime("%Y-%m-%dT").encode()
            for d in range(first, int(day.max()) + 1)
        ],
        dtype="S11",
    )
    ms_of_day = (ms - day * MS_PER_DAY).astype(np.int32)
    seconds = ms_of_day // MS_PER_SECOND
    out = np.empty(ms.size, dtype=_TIMESTAMP_DTYPE)
    out["d"] = days[day - first]
    out["t"] = _TIME_OF_DAY[seconds]
    out["f"] = _MILLIS_Z[ms_of_day - seconds * MS_PER_SECOND]
    return fixed_width_strings(out, TIMESTAMP_WIDTH)


def string_table(values: Sequence[str]) -> pa.StringArray:
    """An Arrow string array of a few values, for a shared dictionary."""
    return pa.array(list(values), type=pa.string())
