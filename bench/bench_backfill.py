"""Backfill throughput and peak memory against a per-row Python baseline measured in the same run.

    python bench/bench_backfill.py [--events 10000000] [--baseline-events 100000] [--repeat 3] [--customers N]
                                   [--cpus 2]

The backfill's world has the audience the stack derives for its volume (households.audience_size of the run's
batchSize: 26,032 customers for 10 M events over 30 days), so the admission pass, the hour plans and the viewer
profiles cost what they cost in a realistic world; `--customers 1000` gives the dimensions' default, a world too
dense for its audience (every candidate played), as the figures before 2026-12-06 used.

Each part runs in its own subprocess, so peak RSS (ru_maxrss) and CPU time are its own: the baseline pinned to one
CPU (it is one Python loop), the backfill to `--cpus` of them (default two, or the machine's if fewer: it
generates a chunk while a thread writes the one before); `--cpus 1` measures it on one core. The two parts
alternate `--repeat` times and each reports its best run (other work on a shared machine only ever slows a run
down), every run listed. The backfill's first run on a machine also compiles its kernels (numba,
cached in __pycache__ after), which only that run pays.
Rates are given per wall-clock second and per CPU second (the process's user + system time over all its
threads, which other work on a shared machine does not inflate). Both parts generate their dimensions before their
timed part, so the wall-clock figures leave them out on both sides and the CPU figures count them on both.
The baseline is bench/baseline.py, the one both benchmarks use: one dict per event drawn field by field,
serialised with `json.dumps` and written as JSON lines. The backfill writes SNAPPY Parquet
hour partitions to a temporary directory.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.baseline import NaiveEvents  # noqa: E402
from functions.shared import households  # noqa: E402
from functions.shared.dimensions import generate_dimensions, world_dimensions  # noqa: E402

START, END = dt.date(2025, 11, 1), dt.date(2025, 12, 1)


DEFAULT_CPUS = 2


def _pin(cpus: int) -> list[int] | None:
    """Keep this process to its first `cpus` CPUs (of those it may use); the CPUs kept."""
    if hasattr(os, "sched_setaffinity"):
        kept = sorted(os.sched_getaffinity(0))[:cpus]
        os.sched_setaffinity(0, set(kept))
        return kept
    return None


def _usage() -> dict:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return {"peak_rss_mb": r.ru_maxrss / 1024, "cpu_seconds": r.ru_utime + r.ru_stime}


def baseline(events: int, out: Path) -> dict:
    """Per-row Python (bench/baseline.py) over the range, one JSON line per event written to a file."""
    naive = NaiveEvents(generate_dimensions())
    rng = random.Random(1)
    span_ms = (END - START).days * 86_400_000
    start_ms = int(dt.datetime.combine(START, dt.time(), tzinfo=dt.UTC).timestamp() * 1000)
    began = time.perf_counter()
    with out.open("wb") as f:
        for _ in range(events):
            f.write(naive.line(start_ms + rng.randrange(span_ms)))
    return {"events": events, "seconds": time.perf_counter() - began}


def batch_size_for(events: int) -> int:
    """The world's volume is a rate: batchSize events per 5 minutes on average, so about `events` over the range."""
    return max(1, round(events / ((END - START).days * 288)))


def backfill(events: int, out: Path, customers: int) -> dict:
    """The fast backfill into a local lake directory. Its dimensions are generated first, as the run would (the
    tables the world reads: customers per index and the full campaigns table, whose breaks the events carry), and,
    like the baseline's, outside the timed part (the CPU figures count them)."""
    from lakewriter.backfill import run_backfill

    dims = world_dimensions(customers=customers)
    report = run_backfill(START, END, seed=1, batch_size=batch_size_for(events), out=str(out), dims=dims)
    return {
        "events": report.events,
        "seconds": report.seconds,
        "files": report.files,
        "sessions": report.sessions,
        "bytes": report.bytes,
    }


def _child(part: str, events: int, out: Path, customers: int, cpus: int) -> None:
    kept = _pin(1 if part == "baseline" else cpus)
    result = baseline(events, out / "events.jsonl") if part == "baseline" else backfill(events, out / "lake", customers)
    result.update(_usage(), part=part, cpus=kept)
    print(json.dumps(result))


def _run_part(part: str, events: int, customers: int, cpus: int) -> dict:
    work = Path(tempfile.mkdtemp(prefix=f"bench-backfill-{part}-"))
    try:
        cmd = [sys.executable, __file__, "--child", part, "--events", str(events), "--out", str(work)]
        cmd += ["--customers", str(customers), "--cpus", str(cpus)]
        done = subprocess.run(cmd, check=True, capture_output=True, text=True)
        return json.loads(done.stdout.strip().splitlines()[-1])
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=10_000_000, help="about this many events for the backfill")
    parser.add_argument("--baseline-events", type=int, default=100_000, help="events for the per-row baseline")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each part; the best is reported")
    parser.add_argument(
        "--customers",
        type=int,
        help="customers in the backfill's world (default: the audience the stack derives for the run's batchSize, "
        "households.audience_size: 26,032 at the default 10 M events, where a device and the plan's stream limit "
        "apply; 1,000, the dimensions' default, gives the too-dense world of the figures before 2026-12-06)",
    )
    parser.add_argument(
        "--cpus", type=int, default=DEFAULT_CPUS, help="CPUs the backfill may use (the baseline always one)"
    )
    parser.add_argument("--child", choices=("baseline", "backfill"), help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    customers = args.customers or households.audience_size(batch_size_for(args.events))
    if args.child:
        _child(args.child, args.events, args.out, customers, args.cpus)
        return

    cpus = min(args.cpus, len(os.sched_getaffinity(0))) if hasattr(os, "sched_getaffinity") else args.cpus
    print(
        f"range {START} .. {END} ({(END - START).days} days), each part in its own process: the baseline on one CPU, "
        f"the backfill on {cpus}"
    )
    print(f"backfill world: batchSize {batch_size_for(args.events):,}, {customers:,} customers")
    print(f"load average before: {os.getloadavg()[0]:.2f} (other work on the machine slows the wall-clock figures)")
    runs: dict[str, list[dict]] = {"baseline": [], "backfill": []}
    for i in range(args.repeat):
        for part, events in (("baseline", args.baseline_events), ("backfill", args.events)):
            r = _run_part(part, events, customers, cpus)
            runs[part].append(r)
            print(f"  run {i + 1} {part:<9} {r['events'] / r['seconds']:>10,.0f} events/s  {r['seconds']:.2f} s")
    rows = [min(runs[part], key=lambda r: r["seconds"]) for part in ("baseline", "backfill")]
    print(f"best of {args.repeat}:")
    base_wall = rows[0]["events"] / rows[0]["seconds"]
    base_cpu = rows[0]["events"] / rows[0]["cpu_seconds"]
    print(
        f"{'part':<10}{'events':>12}{'seconds':>9}{'events/s':>12}{'x base':>8}{'cpu s':>8}{'events/cpu-s':>14}"
        f"{'x base':>8}{'peak RSS':>10}"
    )
    for r in rows:
        wall, cpu = r["events"] / r["seconds"], r["events"] / r["cpu_seconds"]
        print(
            f"{r['part']:<10}{r['events']:>12,}{r['seconds']:>9.2f}{wall:>12,.0f}{wall / base_wall:>7.1f}x"
            f"{r['cpu_seconds']:>8.1f}{cpu:>14,.0f}{cpu / base_cpu:>7.1f}x{r['peak_rss_mb']:>7.0f} MB"
        )
    b = rows[1]
    print(
        f"backfill wrote {b['files']:,} files, {b['bytes'] / 1e6:,.0f} MB, {b['sessions']:,} sessions "
        f"({b['bytes'] / b['events']:.0f} bytes/event)"
    )


if __name__ == "__main__":
    main()
