"""The local pipeline end to end (generator -> producer -> moto Kinesis -> local Firehose -> Parquet), by size.

    python bench/bench_pipeline.py [--events 10000 100000] [--baseline-events 10000] [--repeat 1]

Each run is a fresh process (so peak memory is that run's) calling `run_pipeline` as `python -m local run --events N`
does, into a new lake; it prints wall seconds, events/s, peak RSS and the per-event cost relative to the smallest
size. The baseline is the same pipeline with aggregation turned off (one event per Kinesis record, what the
producer sent before issue 11), measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _child(events: int, baseline: bool) -> None:
    from functions.producer import delivery
    from local.pipeline import run_pipeline
    from local.settings import load_settings

    if baseline:  # one event per record: the data path before aggregation
        delivery.aggregate_records = lambda records, **_: list(records)
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        report = run_pipeline(load_settings("dev"), Path(tmp) / "lake", events=events, seed=1)
        seconds = time.perf_counter() - started
    # `--events N` asks for about N events: the world decides how many fall in the ticks that cover them.
    delivered = report.delivered
    assert delivered == report.events_generated and not report.dead_letters and not report.errors, "events lost"
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"events": delivered, "seconds": seconds, "peak_mb": peak_mb, "put_calls": report.put_calls}))


def _run(events: int, baseline: bool) -> dict:
    cmd = [sys.executable, __file__, "--child", str(events)] + (["--baseline"] if baseline else [])
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=ROOT).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--baseline-events", type=int, nargs="*", default=[10_000])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--baseline", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        _child(args.child, args.baseline)
        return
    rows = []
    for label, sizes, baseline in (("baseline", args.baseline_events, True), ("ours", args.events, False)):
        for n in sizes:
            best = min((_run(n, baseline) for _ in range(args.repeat)), key=lambda r: r["seconds"])
            best["asked"] = n
            rows.append((label, best))
            print(
                f"{label:9} {best['events']:>8,} events  {best['seconds']:7.1f} s  "
                f"{best['events'] / best['seconds']:>8,.0f} events/s  "
                f"peak {best['peak_mb']:6,.0f} MB  {best['put_calls']:,} PutRecords calls",
                flush=True,
            )
    ours = [r for label, r in rows if label == "ours"]
    if len(ours) > 1:
        small, large = ours[0], ours[-1]
        ratio = (large["seconds"] / large["events"]) / (small["seconds"] / small["events"])
        print(f"per-event cost at {large['events']:,} vs {small['events']:,}: {ratio:.2f}x")
    for label, r in rows:
        if label == "baseline":
            match = [o for o in ours if o["asked"] == r["asked"]]
            if match:  # per event: the world puts slightly different counts in windows minutes apart
                ratio = (r["seconds"] / r["events"]) / (match[0]["seconds"] / match[0]["events"])
                print(f"speed-up at about {r['asked']:,} events: {ratio:.1f}x")


if __name__ == "__main__":
    main()
