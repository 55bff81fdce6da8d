"""Streaming-path throughput: events generated and encoded as Kinesis records per second, on one core.

    python bench/bench_stream.py [--events N] [--batch B] [--repeat R] [--ticks T] [--tick-batch S] [--ticks-only]

Compares, in the same run, in batches of B events as the Lambda makes them:
  (a) baseline: one dict per event drawn field by field with mimesis/random, then json.dumps;
  (b) ours: window_records, the generator Lambda's path: the world's sessions that reach a 5-minute window
      found (the look-back included) and each event rendered straight to its Kinesis entry (newline-terminated
      UTF-8 JSON, partition key), no event dict in between; then the same plus build_payloads, the
      generator's whole tick short of the invokes. A batch of B is the latest B events of a window of a world
      at batchSize 1.5 B (so it holds them), i.e. a tick's cost per event;
  (c) generate_events + the producer's encode_records: event dicts first, then encoded (the local
      pipeline's path; byte-for-byte the records of (b)), and each half alone;
  (d) the producer's side, for the record: parse_payload (JSON parse and schema check of every event) and
      encode_records over the payloads (b) builds;
  (e) a warm container's schedule: T consecutive 5-minute ticks of one world at batchSize S (every event of
      each tick, by window_records), with the window cache cleared before each tick (cold: the whole
      look-back scanned, as a new container or a replay) and kept from tick to tick (warm: only the new
      slots scanned, the tick before the first one made beforehand); both outputs are checked equal.
(b) and (c) draw each batch from a new world, so they never reuse the window cache.
Timings are the best of R runs (other processes add noise); peak memory is Python's (tracemalloc) for
one batch. The target applies to (b).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import time
import tracemalloc
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.baseline import NaiveEvents
from functions.generator.events import (
    clear_window_cache,
    epoch_ms,
    window_cache_size,
    window_events,
    window_records,
)
from functions.generator.handler import build_payloads
from functions.producer.encoding import encode_records, parse_payload
from functions.shared import domains
from functions.shared.dimensions import Dimensions, generate_dimensions
from functions.shared.world import World

TARGET_EVENTS_PER_S = 100_000

WINDOW_END = dt.datetime(2026, 11, 26, 3, 0, tzinfo=dt.UTC)


def _latest(count: int, dims: Dimensions, window_end: dt.datetime, rng: random.Random, make: Callable) -> list:
    """The latest `count` events of the 5-minute window ending at `window_end` in a world dense enough for them."""
    end = epoch_ms(window_end)
    world = World(rng.getrandbits(63), dims, min(domains.MAX_BATCH_SIZE, max(1, count * 3 // 2)))
    span = 300_000
    while len(out := make(world, end - span, end)) < count:
        span *= 2
    return out[len(out) - count :]


def generate_records(count: int, dims: Dimensions, *, window_end: dt.datetime, rng: random.Random) -> list[dict]:
    return _latest(count, dims, window_end, rng, window_records)


def generate_events(count: int, dims: Dimensions, *, window_end: dt.datetime, rng: random.Random) -> list[dict]:
    return _latest(count, dims, window_end, rng, window_events)


def baseline_batch(count: int, naive: NaiveEvents, rng: random.Random) -> list[bytes]:
    """`count` baseline records at moments drawn in the window, as the straightforward generator makes them."""
    end_ms = int(WINDOW_END.timestamp() * 1000)
    return [naive.line(end_ms - rng.randrange(domains.DEFAULT_WINDOW_SECONDS * 1000)) for _ in range(count)]


def throughput(run_batch: Callable[[int], object], events: int, batch: int, repeat: int) -> tuple[float, float]:
    """(best events/s by wall clock, best events/s by process CPU time) over `repeat` runs."""
    best_wall = best_cpu = 0.0
    for _ in range(repeat):
        done = 0
        wall, cpu = time.perf_counter(), time.process_time()
        while done < events:
            n = min(batch, events - done)
            run_batch(n)
            done += n
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        best_wall, best_cpu = max(best_wall, events / wall), max(best_cpu, events / cpu)
    return best_wall, best_cpu


def peak_memory(run_batch: Callable[[int], object], batch: int) -> int:
    """Peak bytes Python allocated while making one batch (and holding its output)."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    result = run_batch(batch)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    del result
    return peak


def tick_windows(count: int) -> list[tuple[int, int]]:
    """`count` consecutive 5-minute windows (epoch ms) ending at WINDOW_END."""
    end, tick = epoch_ms(WINDOW_END), domains.DEFAULT_WINDOW_SECONDS * 1000
    return [(end - (count - i) * tick, end - (count - i - 1) * tick) for i in range(count)]


def tick_throughput(world: World, windows: list[tuple[int, int]], repeat: int, *, warm: bool) -> tuple[float, list]:
    """(best events/s by wall clock over `repeat` runs of the ticks, the last run's records per tick).

    Warm: the cache holds the tick before the first, as after the container's previous invocation.
    """
    best, out = 0.0, []
    tick = windows[0][1] - windows[0][0]
    for _ in range(repeat):
        clear_window_cache()
        if warm:
            window_records(world, windows[0][0] - tick, windows[0][0])
        out, elapsed = [], 0.0
        for start, end in windows:
            if not warm:
                clear_window_cache()
            started = time.perf_counter()
            out.append(window_records(world, start, end))
            elapsed += time.perf_counter() - started
        best = max(best, sum(map(len, out)) / elapsed)
    return best, out


def report_ticks(dims: Dimensions, ticks: int, batch_size: int, repeat: int) -> None:
    """Print (e): consecutive ticks of one world with the window cache cleared before each, and kept."""
    world = World(1, dims, min(domains.MAX_BATCH_SIZE, max(1, batch_size)))
    windows = tick_windows(ticks)
    for start, end in windows:  # a warm container's viewer profiles
        window_records(world, start, end)
    cold, cold_out = tick_throughput(world, windows, repeat, warm=False)
    warm, warm_out = tick_throughput(world, windows, repeat, warm=True)
    cached = window_cache_size()
    print(
        f"(e) {ticks} consecutive ticks at batchSize {world.batch_size:,} ({sum(map(len, warm_out)):,} events, "
        f"ending {WINDOW_END:%Y-%m-%d %H:%M} UTC), window_records, events/s (wall), best of {repeat}:"
    )
    print(f"    {'cold: cache cleared before each tick':54} {cold:16,.0f}")
    print(f"    {'warm: cache kept from tick to tick':54} {warm:16,.0f}")
    same = "identical" if warm_out == cold_out else "DIFFERENT"
    print(
        f"    warm/cold {warm / cold:.1f}x; outputs {same}; cached: {cached.slots} slots, {cached.sessions:,} sessions"
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000, help="events per timed run")
    parser.add_argument("--batch", type=int, default=1000, help="events per generator call (the Lambda's BATCH_SIZE)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per variant; the best is reported")
    parser.add_argument("--ticks", type=int, default=12, help="consecutive 5-minute ticks per timed run of (e)")
    parser.add_argument("--tick-batch", type=int, help="batchSize of the world (e) ticks (default 1.5 x --batch)")
    parser.add_argument("--ticks-only", action="store_true", help="measure (e) only")
    parser.add_argument(
        "--customers",
        type=int,
        help="customers in the world (default the dimensions' 1,000; households.audience_size(batchSize) gives an "
        "audience that carries the ticks' volume, where a device and the plan's stream limit apply)",
    )
    args = parser.parse_args(argv)
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core

    started = time.perf_counter()
    dims = generate_dimensions(customers=args.customers) if args.customers else generate_dimensions()
    dims_ms = (time.perf_counter() - started) * 1000
    if args.ticks_only:
        print(f"python {sys.version.split()[0]}, pinned to one core")
        report_ticks(dims, args.ticks, args.tick_batch or args.batch * 3 // 2, args.repeat)
        return
    rng = random.Random(1)
    started = time.perf_counter()
    generate_records(args.batch, dims, window_end=WINDOW_END, rng=rng)  # cold start: viewer profiles fill here
    first_ms = (time.perf_counter() - started) * 1000
    generate_records(args.events, dims, window_end=WINDOW_END, rng=rng)  # warm every viewer, as a live container
    generate_events(args.events, dims, window_end=WINDOW_END, rng=rng)

    naive = NaiveEvents(dims)
    base_rng = random.Random(1)
    pre_generated = generate_events(args.batch, dims, window_end=WINDOW_END, rng=random.Random(2))
    pre_payloads = build_payloads(generate_records(args.batch, dims, window_end=WINDOW_END, rng=random.Random(2)))

    def run_baseline(n: int) -> object:
        return baseline_batch(n, naive, base_rng)

    def run_records(n: int) -> object:
        return generate_records(n, dims, window_end=WINDOW_END, rng=rng)

    def run_tick(n: int) -> object:
        return build_payloads(generate_records(n, dims, window_end=WINDOW_END, rng=rng))

    def run_events_then_encode(n: int) -> object:
        return encode_records(generate_events(n, dims, window_end=WINDOW_END, rng=rng))

    def run_generate_only(n: int) -> object:
        return generate_events(n, dims, window_end=WINDOW_END, rng=rng)

    def run_encode_only(n: int) -> object:
        return encode_records(pre_generated[:n])

    def run_producer(n: int) -> object:
        # The payloads hold args.batch events; n is always args.batch here (events is a multiple of batch).
        return [encode_records(parse_payload(p)) for p in pre_payloads]

    rows = [
        ("(a) baseline: field-by-field mimesis/random + json.dumps", run_baseline),
        ("(b) ours: generate_records (generator Lambda)", run_records),
        ("    + build_payloads (its whole tick but the invokes)", run_tick),
        ("(c) generate_events + encode_records (dicts, then encode)", run_events_then_encode),
        ("    generate_events alone", run_generate_only),
        ("    encode_records alone", run_encode_only),
        ("(d) producer: parse_payload + encode_records", run_producer),
    ]
    if args.events % args.batch:
        parser.error("--events must be a multiple of --batch")
    print(
        f"python {sys.version.split()[0]}, {args.events:,} events per run, batches of {args.batch:,}, "
        f"best of {args.repeat}, pinned to one core"
    )
    print(f"cold start: generate_dimensions() {dims_ms:.0f} ms; first batch of {args.batch:,} {first_ms:.0f} ms")
    print(f"{'variant':58} {'events/s (wall)':>16} {'events/s (cpu)':>15} {'peak MB/batch':>14}")
    results = {}
    for label, run in rows:
        wall, cpu = throughput(run, args.events, args.batch, args.repeat)
        peak = peak_memory(run, args.batch) / 1e6
        results[label] = wall
        print(f"{label:58} {wall:16,.0f} {cpu:15,.0f} {peak:14.1f}")
    base, ours = results[rows[0][0]], results[rows[1][0]]
    verdict = "met" if ours >= TARGET_EVENTS_PER_S else "NOT met"
    print(f"speed-up of (b) over (a): {ours / base:.1f}x; target for (b): {TARGET_EVENTS_PER_S:,} events/s ({verdict})")
    report_ticks(dims, args.ticks, args.tick_batch or args.batch * 3 // 2, args.repeat)


if __name__ == "__main__":
    main()
