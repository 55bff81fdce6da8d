"""Cost of one schedule tick on the local twin, at batchSize 1,000 and 100,000, against the per-row baseline.

    python bench/bench_tick.py [--batch 1000 --batch 100000] [--end 2026-11-26T02:00:00Z]

A tick is the generator's whole request path (`run_request`: the window's events, in shards above
MAX_SHARD_EVENTS, packed into payloads) plus the producer's (parse, check, encode, PutRecords to the Kinesis
stream in moto), as `python -m local run` runs it; the local twin runs the shards one after another on one
core, where the stack runs them in parallel Lambdas. Each part runs in its own subprocess pinned to one CPU,
so its peak RSS (ru_maxrss) is its own. The baseline (bench/baseline.py) makes the same number of events one
dict at a time and JSON-encodes them, with no stream; it measures only what a naive generator would spend.
The default window ends at 02:00 UTC, prime time in the Americas (the busiest hour of the default audience).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


def _pin() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})


def _usage() -> dict:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return {"peak_rss_mb": r.ru_maxrss / 1024, "cpu_seconds": r.ru_utime + r.ru_stime}


def tick(batch: int, end: str) -> dict:
    """One tick of a world at `batch` through the local stack (moto Kinesis); no Firehose delivery."""
    import tempfile

    from functions.generator.events import epoch_ms
    from local.moto_setup import LocalStack
    from local.settings import load_settings

    settings = load_settings("dev").but(batch_size=batch)
    end_ms = epoch_ms(dt.datetime.fromisoformat(end.replace("Z", "+00:00")))
    with tempfile.TemporaryDirectory() as lake, LocalStack(settings, Path(lake), seed=1) as stack:
        began = time.perf_counter()
        cpu = time.process_time()
        summary = stack.tick(end_ms - 300_000, end_ms)
        wall, cpu = time.perf_counter() - began, time.process_time() - cpu
        events = len(stack.lambda_client.accepted_event_ids)
    return {"events": events, "shards": summary["shards"], "wall_s": wall, "tick_cpu_s": cpu, **_usage()}


def generator_only(batch: int, end: str) -> dict:
    """The generator's side of the same tick (every shard, one after another; payloads kept, not sent)."""
    from functions.generator.events import epoch_ms
    from functions.generator.handler import Request, parse_request, run_request
    from functions.shared.dimensions import generate_dimensions
    from functions.shared.world import World

    class Keep:
        def __init__(self) -> None:
            self.calls: list[tuple[str, bytes]] = []

        def invoke(self, *, FunctionName: str, InvocationType: str, Payload: bytes) -> dict:
            self.calls.append((FunctionName, Payload))
            return {"StatusCode": 202}

    world = World(1, generate_dimensions(), batch)
    end_ms = epoch_ms(dt.datetime.fromisoformat(end.replace("Z", "+00:00")))
    client = Keep()
    began = time.perf_counter()
    summary = run_request(client, Request(end_ms - 300_000, end_ms), world=world, producer_name="p", generator_name="g")
    events = summary.get("events", 0)
    for _, payload in [c for c in client.calls if c[0] == "g"]:
        request = parse_request(json.loads(payload), window_seconds=300, now=dt.datetime.now(dt.UTC))
        events += run_request(client, request, world=world, producer_name="p", generator_name="g")["events"]
    wall = time.perf_counter() - began
    return {"events": events, "shards": summary["shards"], "wall_s": wall, **_usage()}


def baseline(events: int) -> dict:
    from bench.baseline import NaiveEvents
    from functions.shared.dimensions import generate_dimensions

    naive = NaiveEvents(generate_dimensions())
    rng = random.Random(1)
    began = time.perf_counter()
    lines = [naive.line(1_795_000_000_000 + rng.randrange(300_000)) for _ in range(events)]
    wall = time.perf_counter() - began
    return {"events": len(lines), "wall_s": wall, **_usage()}


def _child(kind: str, value: int, end: str) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, "--child", kind, str(value), end], capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, action="append", help="batchSize (repeatable; default 1000 and 100000)")
    parser.add_argument("--end", default="2026-11-26T02:00:00Z", help="end of the tick's window (ISO 8601 UTC)")
    parser.add_argument("--generator-only", action="store_true", help="time only the generator's side of each tick")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _pin()
        kind, value, end = args.child
        runs = {"tick": lambda: tick(int(value), end), "gen": lambda: generator_only(int(value), end)}
        result = runs.get(kind, lambda: baseline(int(value)))()
        print(json.dumps(result))
        return
    part = "generator side only" if args.generator_only else "generator + producer into moto Kinesis"
    print(f"python {sys.version.split()[0]}, 5-minute window ending {args.end}, {part}, each part on one core")
    print(f"{'tick':>10} {'events':>9} {'shards':>6} {'wall s':>8} {'events/s':>9} {'peak MB':>8} | baseline: events/s")
    for batch in args.batch or [1000, 100_000]:
        ours = _child("gen" if args.generator_only else "tick", batch, args.end)
        base = _child("baseline", ours["events"], args.end)
        print(
            f"{batch:>10,} {ours['events']:>9,} {ours['shards']:>6} {ours['wall_s']:>8.2f} "
            f"{ours['events'] / ours['wall_s']:>9,.0f} {ours['peak_rss_mb']:>8.0f} | "
            f"{base['events'] / base['wall_s']:,.0f} ({base['wall_s']:.2f} s)"
        )


if __name__ == "__main__":
    main()
