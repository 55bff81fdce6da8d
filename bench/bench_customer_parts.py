"""Time, size and memory of writing the customers table in parts (`lakewriter.customers`), at audience sizes.

    python bench/bench_customer_parts.py [--counts 100000 1000000 3000000] [--baseline-counts 100000]
        [--rows-per-part 1000000]

Each count runs in its own subprocess (its peak RSS is its own) and writes the table as of the sign-up horizon (every
customer) into a temporary directory, as the stack's cache does, split by phase: making each part (an Arrow table) and
encoding and writing it (SNAPPY Parquet). Two ways of making a part, measured in the same run:

- `vectorised`: `customer_part` (`customer_table` on numpy arrays), what the stack and the local lake run;
- `python` (the baseline, `--baseline-counts`): the rows' Python definition (`customer_rows`: a
  `dimensions.customer_row` dict per row) turned into Arrow `ARROW_BATCH_ROWS` at a time with `rows_to_arrow`,
  the way parts were made before the rows were vectorised.
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
import itertools, json, os, resource, sys, tempfile, time
sys.path.insert(0, {repo!r})
import pyarrow as pa
from functions.shared.dimensions import SIGNUPS_UNTIL, signed_up_by
from functions.shared.schema import CUSTOMERS
from lakewriter import customers
from lakewriter.parquet import rows_to_arrow, write_parquet

count, per_part, how = {count}, {per_part}, {how!r}


def python_part(index):
    rows = customers.customer_rows(42, count, SIGNUPS_UNTIL, index * per_part + 1)
    rows = itertools.islice(rows, per_part)
    batches = []
    while batch := list(itertools.islice(rows, customers.ARROW_BATCH_ROWS)):
        batches.append(rows_to_arrow(CUSTOMERS, batch))
    return pa.concat_tables(batches).combine_chunks()


sizes, make_s, write_s = [], 0.0, 0.0
with tempfile.TemporaryDirectory() as out:
    started = time.perf_counter()
    for index in range(customers.part_count(signed_up_by(42, count, SIGNUPS_UNTIL), per_part)):
        began = time.perf_counter()
        if how == "python":
            table = python_part(index)
        else:
            table = customers.customer_part(42, count, SIGNUPS_UNTIL, index, per_part)
        made = time.perf_counter()
        make_s += made - began
        path = os.path.join(out, customers.part_name(index))
        write_parquet(table, path)
        del table
        write_s += time.perf_counter() - made
        sizes.append(os.path.getsize(path))
    total = time.perf_counter() - started
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({{"total_s": total, "make_s": make_s, "write_s": write_s, "sizes": sizes, "rss": rss}}))
"""


def measure(count: int, per_part: int, how: str) -> dict:
    code = _CHILD.format(repo=str(REPO), count=count, per_part=per_part, how=how)
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    from lakewriter.customers import CUSTOMERS_PER_PART

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--counts", type=int, nargs="+", default=[100_000, 1_000_000, 3_000_000])
    parser.add_argument("--baseline-counts", type=int, nargs="*", default=[100_000])
    parser.add_argument("--rows-per-part", type=int, default=CUSTOMERS_PER_PART)
    args = parser.parse_args(argv)
    print("| rows made | customers | parts | total s | making parts s | Parquet s | µs a row | MB | MB a part "
          "| peak RSS MB |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|---|")
    cases = [("python", c) for c in args.baseline_counts] + [("vectorised", c) for c in args.counts]
    for how, count in cases:
        got = measure(count, args.rows_per_part, how)
        other = got["total_s"] - got["make_s"] - got["write_s"]
        mb = sum(got["sizes"]) / 2**20
        print(
            f"| {how} | {count:,} | {len(got['sizes'])} | {got['total_s']:.1f} | {got['make_s']:.1f} | "
            f"{got['write_s'] + other:.1f} | {got['total_s'] / count * 1e6:.1f} | {mb:.1f} | "
            f"{max(got['sizes']) / 2**20:.1f} | {got['rss'] / 2**20:.0f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
