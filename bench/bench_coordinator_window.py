"""Time what a warm coordinator judges for one window at a batchSize: the window's new admission slots.

With the pass checkpointed (docs/checkpoint.md) a coordinator judges only the slots of its window it has not judged
(five for a 5-minute tick). This times them at any batchSize, 1,000,000 included, without the day's pass a true
checkpoint would need (~1.5 hours of CPU at 1,000,000): the pass's state is started empty `--warm-slots` slots
before the window (not pruned) and carried into it, so the window's verdicts differ from the real pass's but its
candidates and the cost of judging each are the real ones. Prints candidates, CPU seconds, µs a candidate, the holds
kept and the peak RSS.

    .venv/bin/python bench/bench_coordinator_window.py --batch-size 1000000
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from functions.shared import concurrency, households
from functions.shared.dimensions import world_dimensions
from functions.shared.world import SLOT_MS, World


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=1_000_000)
    parser.add_argument("--end", default="2026-11-26T02:00:00+00:00", help="the window's end (prime time in the US)")
    parser.add_argument("--window-slots", type=int, default=5)
    parser.add_argument("--warm-slots", type=int, default=60)
    args = parser.parse_args()
    started = time.process_time()
    customers = households.audience_size(args.batch_size)
    world = World(1, world_dimensions(42, customers=customers, titles=500), args.batch_size)
    print(f"batchSize {args.batch_size:,}: {customers:,} customers, world in {time.process_time() - started:.1f} CPU s")
    admission = concurrency.Admission(world)
    end = int(dt.datetime.fromisoformat(args.end).timestamp() * 1000) // SLOT_MS
    window = range(end - args.window_slots, end)
    for label, slots in (("warm-up", range(window.start - args.warm_slots, window.start)), ("window", window)):
        started, candidates = time.process_time(), 0
        for slot in slots:
            candidates += len(admission._judge(slot, played_only=True))
        spent = time.process_time() - started
        devices, homes = admission.state_size()
        print(
            f"{label}: {len(slots)} slots, {candidates:,} candidates in {spent:.1f} CPU s "
            f"({spent / max(candidates, 1) * 1e6:.1f} µs each); holds kept: {devices:,} devices, {homes:,} households"
        )
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB")


if __name__ == "__main__":
    main()
