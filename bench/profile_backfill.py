"""Where a backfill's time goes: cProfile of one run_backfill, the functions with the most time printed.

    python bench/profile_backfill.py [--customers N] [--days 30] [--events 10000000] [--top 30] [--no-threads]

The world is bench_backfill's (batchSize for about `--events` over 30 days, seed 1, from 2025-11-01; by default the
audience the stack derives for that batchSize and the full campaigns table), its dimensions generated before the
profile starts; a one-day run first loads the compiled kernels, so the profile
holds only the backfill. cProfile adds a constant per Python call: compiled kernels and pyarrow count at their
own speed, Python loops several times theirs, so read the figures as where to look, and time changes with
bench_backfill.py. cProfile sees only the thread that starts it, so the profiled run writes in line
(`run.BACKGROUND_WRITER` off); a second run, not profiled, then writes on the writer thread as the backfill does
and prints each thread's CPU seconds (the generating thread's against the writer's), which a shared machine's
other work does not inflate: on two idle cores a run takes about the larger of the two.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import pstats
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from functions.shared import households  # noqa: E402
from functions.shared.dimensions import Dimensions, generate_dimensions  # noqa: E402
from lakewriter.backfill import run as backfill_run  # noqa: E402
from lakewriter.backfill import run_backfill  # noqa: E402

START = dt.date(2025, 11, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, help="customers in the world (default households.audience_size)")
    parser.add_argument("--days", type=int, default=30, help="days backfilled from 2025-11-01")
    parser.add_argument("--events", type=int, default=10_000_000, help="sets batchSize: about this many in 30 days")
    parser.add_argument("--top", type=int, default=30, help="functions printed, by cumulative and by own time")
    parser.add_argument("--no-threads", action="store_true", help="skip the run on the writer thread")
    args = parser.parse_args()
    batch_size = max(1, round(args.events / (30 * 288)))
    args.customers = args.customers or households.audience_size(batch_size)
    dims = generate_dimensions(customers=args.customers, delivery=False)
    with tempfile.TemporaryDirectory() as out:
        run_backfill(START - dt.timedelta(days=1), START, seed=1, batch_size=batch_size, out=f"{out}/warm", dims=dims)
        backfill_run.BACKGROUND_WRITER = False
        profile = cProfile.Profile()
        cpu, wall = time.process_time(), time.perf_counter()
        profile.enable()
        report = run_backfill(
            START, START + dt.timedelta(days=args.days), seed=1, batch_size=batch_size, out=f"{out}/lake", dims=dims
        )
        profile.disable()
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        backfill_run.BACKGROUND_WRITER = True
        threads = None if args.no_threads else _threads(batch_size, dims, args.days, f"{out}/threads")
    print(
        f"{report.events:,} events, batchSize {batch_size:,}, {args.customers:,} customers, in line, profiled: "
        f"{cpu:.1f} CPU s, {wall:.1f} s"
    )
    stats = pstats.Stats(profile)
    stats.sort_stats("cumulative").print_stats(args.top)
    stats.sort_stats("tottime").print_stats(args.top)
    if threads:
        print(
            "with the writer thread, not profiled: {wall:.1f} s wall, {cpu:.1f} CPU s: generating thread {main:.1f}, "
            "writer thread {writer:.1f} CPU s (the rest: other threads and the process's start)".format(**threads)
        )


def _threads(batch_size: int, dims: Dimensions, days: int, out: str) -> dict[str, float]:
    """Wall and CPU seconds of a run on the writer thread: the whole process's, the caller's thread's, the writer's."""
    writer = 0.0
    step = backfill_run._Chunks._step

    def timed(chunks: backfill_run._Chunks, *args: object) -> None:
        nonlocal writer
        began = time.thread_time()
        try:
            step(chunks, *args)  # type: ignore[arg-type]
        finally:
            writer += time.thread_time() - began

    backfill_run._Chunks._step = timed  # type: ignore[method-assign]
    try:
        cpu, main, wall = time.process_time(), time.thread_time(), time.perf_counter()
        run_backfill(START, START + dt.timedelta(days=days), seed=1, batch_size=batch_size, out=out, dims=dims)
        cpu, main, wall = time.process_time() - cpu, time.thread_time() - main, time.perf_counter() - wall
    finally:
        backfill_run._Chunks._step = step  # type: ignore[method-assign]
    return {"wall": wall, "cpu": cpu, "main": main, "writer": writer}


if __name__ == "__main__":
    main()
