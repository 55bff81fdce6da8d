"""A cold generator coordinator with and without the admission checkpoint, against moto's S3, in one run.

    .venv/bin/python bench/bench_coordinator.py [--batch-sizes 1000 4000] [--hour 9] [--day 2026-11-26]

Each case runs in a process of its own (a new container: nothing cached) and serves the 5-minute window ending at
`--hour`:00 UTC through `run_request` as the handler does, its shards run in the same process (RecordingLambda):
- baseline: no state bucket, today's cold path (the coordinator's own pass from the admission day's start; at a
  batchSize the window is sharded, every shard repeats that pass);
- cold coordinator with a checkpoint: the tick before was served (and saved its pass) by another process; this
  one restores it, judges the window's new slots, saves, and sends its shards their verdicts.
Prints CPU seconds of the coordinator, of its shards, the checkpoint's bytes, and how many slots each pass judged.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUCKET = "bench-state"


def _case(batch: int, day: str, hour: int, mode: str) -> dict:
    sys.path.insert(0, str(ROOT))
    os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_SESSION_TOKEN="testing")
    import boto3
    from moto import mock_aws

    from functions.generator import events
    from functions.generator import handler as gen
    from functions.shared import households
    from functions.shared.dimensions import world_dimensions
    from functions.shared.world import World
    from tests.functions.fakes import RecordingLambda

    world = World(1, world_dimensions(42, customers=households.audience_size(batch), titles=500), batch)
    end = int(dt.datetime.fromisoformat(day).replace(hour=hour, tzinfo=dt.UTC).timestamp() * 1000)
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-west-2")
        s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
        store = {"s3_client": s3, "state_bucket": BUCKET} if mode == "checkpoint" else {}

        def serve(client: RecordingLambda, request: gen.Request) -> dict:
            return gen.run_request(client, request, world=world, producer_name="p", generator_name="g", **store)

        if mode == "checkpoint":  # the tick before, in "another container"
            serve(RecordingLambda(), gen.Request(end - 600_000, end - 300_000))
            events.clear_window_cache()
        client = RecordingLambda()
        started = time.process_time()
        summary = serve(client, gen.Request(end - 300_000, end))
        coordinated = time.process_time()
        judged = events.window_admission(world).judged
        shard_judged = 0
        for payload in client.of("g"):
            events.clear_window_cache()  # each shard in a new container
            serve(client, gen.parse_request(json.loads(payload), window_seconds=300, now=dt.datetime.now(dt.UTC)))
            shard_judged += events.window_admission(world).judged
        shards_done = time.process_time()
        saved = s3.list_objects_v2(Bucket=BUCKET).get("Contents", []) if mode == "checkpoint" else []
    return {
        "batch": batch,
        "mode": mode,
        "coordinator_s": round(coordinated - started, 2),
        "shards": summary.get("shards"),
        "shards_s": round(shards_done - coordinated, 2),
        "slots_judged": judged,
        "shard_slots_judged": shard_judged,
        "checkpoint_bytes": max((o["Size"] for o in saved), default=0),
        "largest_shard_request": max((len(p) for p in client.of("g")), default=0),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[1000, 4000])
    parser.add_argument("--hour", type=int, default=9)
    parser.add_argument("--day", default="2026-11-26")
    parser.add_argument("--case", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        batch, mode = int(args.case[0]), args.case[1]
        print(json.dumps(_case(batch, args.day, int(args.case[2]), mode)))
        return
    for batch in args.batch_sizes:
        for mode in ("baseline", "checkpoint"):
            done = subprocess.run(
                [sys.executable, __file__, "--day", args.day, "--case", str(batch), mode, str(args.hour)],
                capture_output=True,
                text=True,
                check=True,
            )
            print(done.stdout.strip())


if __name__ == "__main__":
    main()
