"""How a generator container's cold start, tick time and memory grow with the audience `batchSize` derives.

    python bench/bench_audience_scale.py                      # batchSize 1,000, 4,000 and 13,300
    python bench/bench_audience_scale.py --batch-sizes 1000 50000
    python bench/bench_audience_scale.py --batch-sizes 1000 --customers 22500 90000 300000   # the audience alone

Each case runs in its own subprocess, as a new container would: import the handler, build the dimension tables as
the handler does (titles and campaigns; customers per index, people.py) for the derived audience
(households.audience_size, uncapped; or --customers at a fixed batchSize, which separates what the audience costs
from what the volume does), the world, then a cold tick (the five minutes to 2026-12-01 20:00 UTC, with its
admission day's pass) and a warm tick after it. It prints each phase's wall time, the Python heap's peak
(tracemalloc) and the peak RSS. These are the figures docs/scale.md extrapolates to batchSize
1,000,000; a world whose memory and time do not grow with the audience shows flat rows here.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_BATCH_SIZES = (1_000, 4_000, 13_300)

_CHILD = """
import json, resource, sys, time, tracemalloc
sys.path.insert(0, {repo!r})
batch, customers = {batch!r}, {customers!r}
tracemalloc.start()
import functions.generator.handler as h
from functions.generator.events import window_records
from functions.shared import households
from functions.shared.world import World
customers = customers or households.audience_size(batch)
t = time.perf_counter()
dims = h.world_dimensions(42, customers, 500, 1500)  # as the handler builds them
built = time.perf_counter() - t
t = time.perf_counter()
world = World(1, dims, batch)
made = time.perf_counter() - t
end = 1764633600000 + 20 * 3_600_000
t = time.perf_counter()
cold = window_records(world, end - 300_000, end)
h.build_payloads(cold)
cold_s = time.perf_counter() - t
t = time.perf_counter()
warm = window_records(world, end, end + 300_000)
warm_s = time.perf_counter() - t
peak = tracemalloc.get_traced_memory()[1]
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({{"customers": customers, "dims_s": built, "world_s": made, "cold_s": cold_s, "warm_s": warm_s,
                   "events": [len(cold), len(warm)], "heap_peak": peak, "rss": rss}}))
"""


def measure(batch: int, customers: int | None = None) -> dict:
    """One container's figures at `batch` and `customers` (the derived audience if None), in a subprocess."""
    code = _CHILD.format(repo=str(REPO), batch=batch, customers=customers)
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=list(DEFAULT_BATCH_SIZES))
    parser.add_argument("--customers", type=int, nargs="+", help="customer counts to run at each batchSize")
    args = parser.parse_args(argv)
    cases = [(b, c) for b in args.batch_sizes for c in (args.customers or [None])]
    print("batchSize | customers | dimensions s | world s | cold tick s | warm tick s | events | heap peak MB | RSS MB")
    for batch, customers in cases:
        got = measure(batch, customers)
        print(
            f"{batch:,} | {got['customers']:,} | {got['dims_s']:.1f} | {got['world_s']:.2f} | {got['cold_s']:.2f} | "
            f"{got['warm_s']:.2f} | {got['events'][0]:,} / {got['events'][1]:,} | {got['heap_peak'] / 2**20:.0f} | "
            f"{got['rss'] / 2**20:.0f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
