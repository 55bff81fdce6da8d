"""Memory, time and file size of the dimension tables per row: the measurements behind the count bounds.

    python bench/bench_dimension_memory.py

Each case runs in its own subprocess, so its peak RSS (ru_maxrss) is its own: the generator's path (import the
handler, build the tables from a seed, build the world, run one default tick and pack its payloads), then the
stack's path (the three tables as SNAPPY Parquet, as TelemetryCatalog uploads them). The first case (one customer,
one title) is the baseline the others are measured against; the slopes printed are what
components/scheduled_generator.py's TITLE_BYTES and functions/shared/domains.py's MAX_CAMPAIGNS are sized from (the
generator no longer holds customers, and households.MAX_CUSTOMERS follows the largest batchSize: docs/scale.md).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CASES = ((1, 1, 1), (100_000, 500, 50), (300_000, 500, 50), (1_000, 65_536, 50), (1_000, 500, 100_000))

_CHILD = """
import json, resource, sys, time
sys.path.insert(0, {repo!r})
customers, titles, campaigns = {case!r}
import functions.generator.handler as h
from functions.generator.events import window_records
from functions.shared.dimensions import generate_dimensions
from functions.shared.world import World
started = time.perf_counter()
dims = generate_dimensions(42, customers, titles, campaigns)
built = time.perf_counter() - started
world = World(1, dims, 1000)
end = 1764633600000 + 20 * 3_600_000
h.build_payloads(window_records(world, end - 300_000, end))
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
from lakewriter.parquet import dimension_parquet
started = time.perf_counter()
sizes = {{name: len(data) for name, data in dimension_parquet(dims, 1).items()}}
print(json.dumps({{"rss": rss, "build_s": built, "parquet_s": time.perf_counter() - started, "sizes": sizes}}))
"""


def measure(case: tuple[int, int, int]) -> dict:
    code = _CHILD.format(repo=str(REPO), case=case)
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0]).parse_args(argv)
    base = measure(CASES[0])
    print(f"baseline (1 customer, 1 title, 1 campaign): {base['rss'] / 2**20:.0f} MB resident")
    for case in CASES[1:]:
        got = measure(case)
        extra = got["rss"] - base["rss"]
        rows = {"customers": case[0] - 1, "titles": case[1] - 1, "campaigns": case[2] - 1}
        grown = max(rows, key=lambda k: rows[k])
        print(
            f"{case}: {got['rss'] / 2**20:.0f} MB resident, {extra / rows[grown]:.0f} B per extra {grown[:-1]}; "
            f"built in {got['build_s']:.1f} s, Parquet in {got['parquet_s']:.1f} s, "
            f"{got['sizes'][grown] / 2**20:.1f} MB file"
        )


if __name__ == "__main__":
    main()
