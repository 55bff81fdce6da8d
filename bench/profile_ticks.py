"""Where a warm (or cold) generator tick's time goes: cProfile of bench_stream's consecutive ticks (e).

    python bench/profile_ticks.py [--ticks 12] [--tick-batch 1500] [--customers N] [--cold] [--top 30]

The world and windows are bench_stream's (seed 1, 5-minute ticks ending 2026-11-26 03:00 UTC); the ticks are run
once before the profile (viewer profiles and hour plans built, as in a live container), then the tick before the
first, then the profiled ticks with the window cache kept from one to the next (warm) or cleared before each
(`--cold`). cProfile adds a constant per Python call, so read the figures as where to look and time changes with
bench_stream.py --ticks-only.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.bench_stream import tick_windows  # noqa: E402
from functions.generator.events import clear_window_cache, window_records  # noqa: E402
from functions.shared import domains  # noqa: E402
from functions.shared.dimensions import generate_dimensions  # noqa: E402
from functions.shared.world import World  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ticks", type=int, default=12, help="consecutive 5-minute ticks profiled")
    parser.add_argument("--tick-batch", type=int, default=1500, help="batchSize of the world")
    parser.add_argument("--customers", type=int, help="customers in the world (default the dimensions' 1,000)")
    parser.add_argument("--cold", action="store_true", help="clear the window cache before each tick")
    parser.add_argument("--top", type=int, default=30, help="functions printed, by cumulative and by own time")
    args = parser.parse_args()
    dims = generate_dimensions(customers=args.customers) if args.customers else generate_dimensions()
    world = World(1, dims, min(domains.MAX_BATCH_SIZE, args.tick_batch))
    windows = tick_windows(args.ticks)
    for start, end in windows:  # a live container's viewer profiles and hour plans
        window_records(world, start, end)
    clear_window_cache()
    tick = windows[0][1] - windows[0][0]
    window_records(world, windows[0][0] - tick, windows[0][0])
    profile = cProfile.Profile()
    events = 0
    wall = time.perf_counter()
    profile.enable()
    for start, end in windows:
        if args.cold:
            clear_window_cache()
        events += len(window_records(world, start, end))
    profile.disable()
    wall = time.perf_counter() - wall
    print(f"{events:,} events in {args.ticks} {'cold' if args.cold else 'warm'} ticks: {wall:.2f} s under the profiler")
    stats = pstats.Stats(profile)
    stats.sort_stats("cumulative").print_stats(args.top)
    stats.sort_stats("tottime").print_stats(args.top)


if __name__ == "__main__":
    main()
