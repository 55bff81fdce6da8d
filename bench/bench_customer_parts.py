"""Time, size and memory of writing the customers table in parts (`lakewriter.customers`), at counts above the cap.

    python bench/bench_customer_parts.py [--counts 100000 1000000 3000000] [--rows-per-part 1000000]

Each count runs in its own subprocess (its peak RSS is its own) and writes the table as of the sign-up horizon (every
customer) with `customer_parts` and `write_parquet` into a temporary directory, as the stack's cache does. The time is
split by phase: making the row dicts (`customer_rows`: today's row definition, mimesis and a Python step per row),
turning them into Arrow (`rows_to_arrow`), and encoding and writing each part (SNAPPY Parquet). The counts are passed
straight to `customer_parts`: the stack's `customerCount` stays bounded by `domains.MAX_CUSTOMERS`.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

_CHILD = """
import json, os, resource, sys, tempfile, time
sys.path.insert(0, {repo!r})
from functions.shared.dimensions import SIGNUPS_UNTIL
from lakewriter import customers
from lakewriter.parquet import write_parquet

spent = {{"rows": 0.0, "arrow": 0.0}}
real_rows, real_arrow = customers.customer_rows, customers.rows_to_arrow


def timed_rows(*args):
    rows = real_rows(*args)
    while True:
        started = time.perf_counter()
        row = next(rows, None)
        spent["rows"] += time.perf_counter() - started
        if row is None:
            return
        yield row


def timed_arrow(*args):
    started = time.perf_counter()
    table = real_arrow(*args)
    spent["arrow"] += time.perf_counter() - started
    return table


customers.customer_rows, customers.rows_to_arrow = timed_rows, timed_arrow
count, per_part = {count}, {per_part}
sizes, write_s = [], 0.0
with tempfile.TemporaryDirectory() as out:
    started = time.perf_counter()
    parts = customers.customer_parts(42, count, SIGNUPS_UNTIL, per_part)
    for index, table in enumerate(parts):
        began = time.perf_counter()
        path = os.path.join(out, customers.part_name(index))
        write_parquet(table, path)
        write_s += time.perf_counter() - began
        sizes.append(os.path.getsize(path))
    total = time.perf_counter() - started
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({{"total_s": total, "rows_s": spent["rows"], "arrow_s": spent["arrow"], "write_s": write_s,
                   "sizes": sizes, "rss": rss}}))
"""


def measure(count: int, per_part: int) -> dict:
    code = _CHILD.format(repo=str(REPO), count=count, per_part=per_part)
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    from lakewriter.customers import CUSTOMERS_PER_PART

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--counts", type=int, nargs="+", default=[100_000, 1_000_000, 3_000_000])
    parser.add_argument("--rows-per-part", type=int, default=CUSTOMERS_PER_PART)
    args = parser.parse_args(argv)
    print("| customers | parts | total s | rows s | Arrow s | Parquet s | µs a row | MB | MB a part | peak RSS MB |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for count in args.counts:
        got = measure(count, args.rows_per_part)
        other = got["total_s"] - got["rows_s"] - got["arrow_s"] - got["write_s"]
        mb = sum(got["sizes"]) / 2**20
        print(
            f"| {count:,} | {len(got['sizes'])} | {got['total_s']:.1f} | {got['rows_s']:.1f} | {got['arrow_s']:.1f} | "
            f"{got['write_s'] + other:.1f} | {got['total_s'] / count * 1e6:.0f} | {mb:.1f} | "
            f"{max(got['sizes']) / 2**20:.1f} | {got['rss'] / 2**20:.0f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
