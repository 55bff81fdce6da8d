"""A cold generator tick's admission pass (concurrency.Admission), timed, with its cost extrapolated to a batchSize.

    python bench/bench_admission.py [--batch-size B] [--at 2026-11-22T09:55:00Z] [--extrapolate 1000000]
        [--base REF]

A cold window's pass judges its admission day from PASS_START_MINUTE (and the look-back before it) up to the window's
last slot; `--at` is the window's end (09:55 UTC, just before the next day starts, is the longest pass). Each variant
runs in a process of its own on a world of its own (the derived audience of B), as a new container would: the baseline
(functions/ as of git REF, extracted to a temporary directory) and this tree's. Reported per variant: candidates judged,
seconds, µs per candidate, the households and devices whose holds the pass keeps at its end, and the peak RSS; then
the same pass's candidates at `--extrapolate` (counted from the hour plans, nothing judged) and its time at the
measured µs per candidate (the cost per candidate grows a little with the audience: more households are new).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

LAMBDA_TIMEOUT_S = 900
"""Lambda's longest timeout (15 minutes: AWS Lambda quotas, "Function timeout")."""


def _world(batch_size: int) -> Any:
    from functions.shared import households
    from functions.shared import world as wm
    from functions.shared.dimensions import world_dimensions

    return wm.World(1, world_dimensions(42, households.audience_size(batch_size), 500), batch_size)


def _slots(world: Any, end_ms: int) -> range:
    from functions.shared import concurrency

    last = world.slot_range(end_ms - 300_000, end_ms).stop - 1
    return range(concurrency.pass_start(last) - concurrency.lookback_slots(world), last + 1)


def run_variant(batch_size: int, end_ms: int) -> dict:
    """One cold pass up to the window's last slot, in this process (functions/ from sys.path's first entry)."""
    from functions.shared import concurrency

    world = _world(batch_size)
    slots = _slots(world, end_ms)
    admission = concurrency.Admission(world)
    started = time.perf_counter()
    admission.admitted(slots[-1])
    seconds = time.perf_counter() - started
    candidates = sum(world.slot_count(s) for s in slots)
    devices, homes = len(admission._device), len(admission._household)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"candidates": candidates, "seconds": seconds, "devices": devices, "households": homes, "rss_mb": rss_mb}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=20_000)
    parser.add_argument("--at", default="2026-11-22T09:55:00Z", help="the cold window's end (UTC)")
    parser.add_argument("--extrapolate", type=int, default=1_000_000, help="batchSize to extrapolate to")
    parser.add_argument("--base", default="af85035", help="git ref of the baseline's functions/")
    parser.add_argument("--variant-root", help=argparse.SUPPRESS)
    args = parser.parse_args()
    end_ms = int(dt.datetime.fromisoformat(args.at.replace("Z", "+00:00")).timestamp() * 1000)
    if args.variant_root:
        sys.path.insert(0, args.variant_root)
        print(json.dumps(run_variant(args.batch_size, end_ms)))
        return
    sys.path.insert(0, str(ROOT))
    big = _world(args.extrapolate)
    slots = _slots(big, end_ms)
    big_candidates = sum(big.slot_count(s) for s in slots)
    print(f"cold pass to {args.at}: {len(slots)} slots; batchSize {args.batch_size:,}")
    print(
        "| variant | candidates | s | µs a candidate | households kept | devices kept | peak RSS MB | "
        f"at {args.extrapolate:,}: candidates | s (extrapolated) |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    base = tempfile.TemporaryDirectory()
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", args.base, "functions"], check=True, capture_output=True
    )
    subprocess.run(["tar", "-x", "-C", base.name], input=archive.stdout, check=True)
    for variant, root in ((f"baseline ({args.base})", base.name), ("this tree", str(ROOT))):
        command = [sys.executable, __file__, "--batch-size", str(args.batch_size), "--at", args.at]
        out = subprocess.run([*command, "--variant-root", root], check=True, capture_output=True, text=True).stdout
        r = json.loads(out)
        per = r["seconds"] / r["candidates"]
        print(
            f"| {variant} | {r['candidates']:,} | {r['seconds']:.1f} | {per * 1e6:.1f} | {r['households']:,} | "
            f"{r['devices']:,} | {r['rss_mb']:.0f} | {big_candidates:,} | {per * big_candidates:,.0f} |"
        )
    print(f"(Lambda's timeout: {LAMBDA_TIMEOUT_S} s)")


if __name__ == "__main__":
    main()
