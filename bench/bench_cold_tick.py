"""The worst cold generator tick: a new container's first window just before the admission day starts.

    .venv/bin/python bench/bench_cold_tick.py [--batch-sizes 1000 4000] [--hour 9] [--day 2026-12-03]

Each case runs in a process of its own (a new container: nothing cached), builds the world as the handler does
(`world_dimensions`, the derived audience) and times one 5-minute window ending at `--hour`:00 UTC, whose admission
pass judges the candidates from 10:00 UTC the day before (concurrency.PASS_START_MINUTE). Prints CPU seconds and CPU
ms per unit of batchSize: what components.scheduled_generator.COLD_TICK_CPU_MS_PER_BATCH_UNIT holds.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _case(batch: int, day: str, hour: int) -> dict:
    sys.path.insert(0, str(ROOT))
    from functions.generator.events import window_records
    from functions.shared import households
    from functions.shared.dimensions import world_dimensions
    from functions.shared.world import World

    started = time.process_time()
    world = World(1, world_dimensions(42, customers=households.audience_size(batch), titles=500), batch)
    built = time.process_time()
    end = int(dt.datetime.fromisoformat(day).replace(hour=hour, tzinfo=dt.UTC).timestamp() * 1000)
    records = window_records(world, end - 300_000, end)
    done = time.process_time()
    return {"batch": batch, "setup_s": built - started, "tick_s": done - built, "records": len(records)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[1000, 4000])
    parser.add_argument("--hour", type=int, default=9, help="the window's end, UTC hour (default 9: 23 h of pass)")
    parser.add_argument("--day", default="2026-12-03")
    parser.add_argument("--case", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case is not None:
        print(json.dumps(_case(args.case, args.day, args.hour)))
        return
    print(f"one 5-minute window ending {args.day} {args.hour:02d}:00 UTC, each in a new process")
    for batch in args.batch_sizes:
        out = subprocess.run(
            [sys.executable, __file__, "--case", str(batch), "--day", args.day, "--hour", str(args.hour)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        r = json.loads(out.splitlines()[-1])
        per_unit = 1000 * r["tick_s"] / batch
        print(
            f"  batchSize {batch:>9,}: cold tick {r['tick_s']:6.1f} CPU s ({per_unit:.2f} ms a unit), "
            f"{r['records']:,} records; world built in {r['setup_s']:.1f} s"
        )


if __name__ == "__main__":
    main()
