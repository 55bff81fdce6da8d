"""What aggregation does to the bill's units: Kinesis records and billed bytes per 1,000 events, before and after.

    python bench/bench_aggregation.py [--events N] [--batch B] [--seed S]

Events come from the generator, the consecutive 5-minute ticks of a world of batchSize B (one tick is about one
producer invocation's worth at the default B), and are encoded by the producer's
own functions: `encode_records` (one event per record, the baseline) and `aggregate_records` on top (ours). Billed
bytes round each record up to the service's unit: Firehose 5 KB (ingestion and format conversion), Kinesis
on-demand 1 KB, Kinesis provisioned PUT payload units of 25 KB. Also times the packing itself.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from functions.generator.events import epoch_ms, window_events
from functions.producer.aggregation import (
    FIREHOSE_BILLING_UNIT,
    KINESIS_BILLING_UNIT,
    KINESIS_PUT_PAYLOAD_UNIT,
    aggregate_records,
    billed_bytes,
)
from functions.producer.encoding import encode_records
from functions.shared import domains
from functions.shared.dimensions import generate_dimensions
from functions.shared.world import World

START = dt.datetime(2026, 11, 26, 0, 0, tzinfo=dt.UTC)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=domains.DEFAULT_BATCH_SIZE)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    dims = generate_dimensions(42, 1000, 500, 50)
    world = World(args.seed, dims, args.batch)
    tick_ms = domains.DEFAULT_WINDOW_SECONDS * 1000
    start = epoch_ms(START)
    single: list[dict] = []
    packed: list[dict] = []
    pack_s = 0.0
    while len(single) < args.events:
        events = window_events(world, start, start + tick_ms)[: args.events - len(single)]
        lines = encode_records(events)
        started = time.perf_counter()
        packed.extend(aggregate_records(lines))
        pack_s += time.perf_counter() - started
        single.extend(lines)
        start += tick_ms
    per_k = 1000 / args.events
    mean = sum(len(r["Data"]) for r in single) / args.events
    print(f"{args.events:,} events in 5-minute ticks of a world of batchSize {args.batch:,}; {mean:,.0f} B/event")
    print(f"{'':38}{'one event/record':>18}{'aggregated':>14}{'ratio':>8}")
    rows = [("Kinesis records per 1,000 events", len(single), len(packed))]
    for label, unit in (
        ("billed Firehose KB per 1,000 events", FIREHOSE_BILLING_UNIT),
        ("billed Kinesis on-demand KB / 1,000", KINESIS_BILLING_UNIT),
        ("Kinesis PUT payload units / 1,000", KINESIS_PUT_PAYLOAD_UNIT),
    ):
        before = billed_bytes((len(r["Data"]) for r in single), unit)
        after = billed_bytes((len(r["Data"]) for r in packed), unit)
        scale = 1024 if unit != KINESIS_PUT_PAYLOAD_UNIT else unit
        rows.append((label, before / scale, after / scale))
    for label, before, after in rows:
        print(f"{label:38}{before * per_k:>18,.1f}{after * per_k:>14,.1f}{before / after:>7.1f}x")
    events_per_record = [r["Data"].count(b"\n") for r in packed]
    print(
        f"events per aggregated record: mean {sum(events_per_record) / len(packed):.1f}, max {max(events_per_record)}"
    )
    print(f"aggregate_records: {args.events / pack_s:,.0f} events/s")


if __name__ == "__main__":
    main()
