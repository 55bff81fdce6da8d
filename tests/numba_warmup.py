"""Compile the backfill's numba kernels into their cache once: `python -m tests.numba_warmup`.

tests/conftest.py runs this beside the xdist workers' collection so that the workers, and the command lines the tests
start, load the kernels from numba's cache instead of each compiling them (about 16 s a process). It writes the cache
exactly where and as the tests' own first call would (numba, cache=True, after kernel.drop_stale_cache): a cache it
writes is one the tests would have written.
"""

from __future__ import annotations

import datetime as dt
import tempfile

import numpy as np

from lakewriter.backfill import kernel, model, run_backfill, strings


def main() -> None:
    """A one-hour backfill of the default dimensions at a low batchSize (every kernel the backfill calls, the
    admission pass included), then the signatures only tests call."""
    with tempfile.TemporaryDirectory() as out:
        start = dt.datetime(2026, 11, 2, 20, tzinfo=dt.UTC)
        run_backfill(start, start + dt.timedelta(hours=1), seed=1, batch_size=20, out=out)
    kernel.draw(np.uint64(1), 7)
    model.completion_percentage(np.array([1, 2]), np.array([3, 4]))
    strings.uuid4_strings(np.frombuffer(bytes(32), dtype=np.uint8).reshape(-1, 16))  # read-only bytes
    strings.uuid4_strings(np.zeros((2, 16), dtype=np.uint8))


if __name__ == "__main__":
    main()
