"""The README's local run in both table formats: Hive-style Parquet (the baseline) and an Apache Iceberg table.

    python bench/bench_table_format.py [--backfill-days 2] [--ticks 3] [--repeat 3]

Each run is a fresh process (so import time and peak memory are that run's) calling `run_pipeline` as
`python -m local run --backfill-days D --table-format F` does, into a new lake; the two formats alternate, and the
script prints each run and the median wall seconds, events/s and peak RSS per format, with Iceberg's cost
relative to Parquet's measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
FORMATS = ("parquet", "iceberg")


def _child(table_format: str, ticks: int, days: int) -> None:
    started = time.perf_counter()
    from local.pipeline import run_pipeline
    from local.settings import load_settings

    with tempfile.TemporaryDirectory() as tmp:
        report = run_pipeline(
            load_settings("dev"), Path(tmp) / "lake", ticks=ticks, backfill_days=days, table_format=table_format
        )
        seconds = time.perf_counter() - started  # imports included: pyiceberg's are part of the cost
    events = report.delivered + report.backfill_events
    assert report.delivered == report.events_generated and not report.dead_letters, "events lost"
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"events": events, "seconds": seconds, "peak_mb": peak_mb, "files": report.backfill_files}))


def _run(table_format: str, ticks: int, days: int) -> dict:
    cmd = [sys.executable, __file__, "--child", table_format, "--ticks", str(ticks), "--backfill-days", str(days)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=ROOT).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backfill-days", type=int, default=2)
    parser.add_argument("--ticks", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", choices=FORMATS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        _child(args.child, args.ticks, args.backfill_days)
        return
    runs: dict[str, list[dict]] = {f: [] for f in FORMATS}
    for i in range(args.repeat):
        for table_format in FORMATS:  # alternating, so a change in the machine's load falls on both alike
            r = _run(table_format, args.ticks, args.backfill_days)
            runs[table_format].append(r)
            print(
                f"{i + 1}: {table_format:8} {r['events']:>9,} events  {r['seconds']:6.1f} s  "
                f"peak {r['peak_mb']:5,.0f} MB",
                flush=True,
            )
    medians = {f: statistics.median(r["seconds"] for r in rs) for f, rs in runs.items()}
    for table_format, rs in runs.items():
        events, peak = rs[0]["events"], statistics.median(r["peak_mb"] for r in rs)
        print(
            f"{table_format:8} median {medians[table_format]:6.1f} s "
            f"({min(r['seconds'] for r in rs):.1f}-{max(r['seconds'] for r in rs):.1f}), "
            f"{events / medians[table_format]:,.0f} events/s, peak {peak:,.0f} MB"
        )
    print(f"iceberg / parquet: {medians['iceberg'] / medians['parquet']:.2f}x")


if __name__ == "__main__":
    main()
